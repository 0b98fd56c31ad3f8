using System.Security.Cryptography;
using System.Text.Json.Nodes;
using OrleansSettlement.Protocol.Canonical;
using OrleansSettlement.Protocol.Crypto;
using OrleansSettlement.Protocol.Encoding;

namespace OrleansSettlement.Protocol.Signing;

/// <summary>
/// Signed JSON objects: a member <c>sig</c> holds the ES256 signature (64-byte P1363, base64url) over
/// the RFC 8785 canonical form (UTF-8) of the object without <c>sig</c>. The string member
/// <c>purpose</c> names the message type and is always signed, so a signature made for one
/// message type never verifies as another.
/// </summary>
public static class SignedObject
{
    public const string SignatureMember = "sig";
    public const string PurposeMember = "purpose";

    /// <summary>
    /// The bytes that are signed and hashed: the canonical form of <paramref name="obj"/> without
    /// <c>sig</c>, after <see cref="SafeJson.Check"/>. <c>purpose</c> must be a non-empty string
    /// (<see cref="ProtocolErrorCode.MissingField"/> / <see cref="ProtocolErrorCode.InvalidField"/>).
    /// </summary>
    public static Outcome<byte[]> SigningInput(JsonObject obj) => SigningInput(obj, safeJsonChecked: false);

    /// <summary><see cref="SigningInput(JsonObject)"/>, without checking the <see cref="SafeJson"/> rules again when
    /// <paramref name="safeJsonChecked"/> (a message read by <see cref="Messages.MessageReader"/>, which checked them).</summary>
    internal static Outcome<byte[]> SigningInput(JsonObject obj, bool safeJsonChecked)
    {
        ArgumentNullException.ThrowIfNull(obj);
        var error = (safeJsonChecked ? null : SafeJson.Check(obj)) ?? CheckPurposeMember(obj, out _);
        if (error is not null)
        {
            return Outcome<byte[]>.Fail(error);
        }

        return Jcs.CanonicalizeWithout(obj, SignatureMember);
    }

    /// <summary>
    /// A deep copy of <paramref name="content"/> with <c>purpose</c> set (it must be absent or already equal
    /// <paramref name="purpose"/>: <see cref="ProtocolErrorCode.WrongPurpose"/>) and <c>sig</c> added. Content
    /// that already has a <c>sig</c> is refused (<see cref="ProtocolErrorCode.InvalidField"/>).
    /// </summary>
    public static async ValueTask<Outcome<JsonObject>> SignAsync(JsonObject content, string purpose, ISigner signer, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(content);
        ArgumentException.ThrowIfNullOrEmpty(purpose);
        ArgumentNullException.ThrowIfNull(signer);
        if (content.ContainsKey(SignatureMember))
        {
            return Outcome<JsonObject>.Fail(ProtocolErrorCode.InvalidField, $"the content already has a \"{SignatureMember}\" member; sign unsigned content");
        }

        if (content.TryGetPropertyValue(PurposeMember, out var existing) &&
            !(existing is JsonValue value && value.TryGetValue<string>(out var existingPurpose) && existingPurpose == purpose))
        {
            return Outcome<JsonObject>.Fail(ProtocolErrorCode.WrongPurpose, $"the content's \"{PurposeMember}\" is not \"{purpose}\"");
        }

        var copy = (JsonObject)content.DeepClone();
        copy[PurposeMember] = purpose;
        var input = SigningInput(copy);
        if (!input.TryGetValue(out var bytes, out var error))
        {
            return Outcome<JsonObject>.Fail(error);
        }

        var digest = SHA256.HashData(bytes);
        var signature = await signer.SignDigestAsync(digest, cancellationToken).ConfigureAwait(false);
        if (signature.SignatureP1363 is not { Length: Es256.SignatureLength })
        {
            throw new InvalidOperationException($"the signer returned a signature of {signature.SignatureP1363?.Length ?? 0} bytes, not {Es256.SignatureLength}");
        }

        copy[SignatureMember] = Base64Url.Encode(signature.SignatureP1363);
        return Outcome<JsonObject>.Ok(copy);
    }

    /// <summary>
    /// null when <paramref name="signed"/> is a valid signed object of type <paramref name="expectedPurpose"/> by
    /// <paramref name="key"/>. In order: purpose absent, not a string or not the expected one
    /// (<see cref="ProtocolErrorCode.WrongPurpose"/>); no <c>sig</c> (<see cref="ProtocolErrorCode.MissingSignature"/>);
    /// <c>sig</c> not a strict base64url string of 64 bytes (<see cref="ProtocolErrorCode.MalformedSignature"/>);
    /// content breaking the <see cref="SafeJson"/> rules (that rule's code); the signature does not verify
    /// (<see cref="ProtocolErrorCode.BadSignature"/>).
    /// </summary>
    public static ProtocolError? Verify(JsonObject signed, PublicJwk key, string expectedPurpose) => Verify(signed, key, expectedPurpose, null);

    /// <summary><see cref="Verify(JsonObject, PublicJwk, string)"/> with the SHA-256 of the signing input already made (by
    /// <see cref="Messages.Parsed{T}"/>, which makes it once per message), or null to make it here.</summary>
    internal static ProtocolError? Verify(JsonObject signed, PublicJwk key, string expectedPurpose, byte[]? signingInputDigest)
    {
        ArgumentNullException.ThrowIfNull(signed);
        ArgumentNullException.ThrowIfNull(key);
        ArgumentException.ThrowIfNullOrEmpty(expectedPurpose);
        if (!signed.TryGetPropertyValue(PurposeMember, out var purposeNode) ||
            purposeNode is not JsonValue purposeValue || !purposeValue.TryGetValue<string>(out var purpose))
        {
            return new ProtocolError(ProtocolErrorCode.WrongPurpose, $"the object has no string \"{PurposeMember}\"; expected \"{expectedPurpose}\"");
        }

        if (purpose != expectedPurpose)
        {
            return new ProtocolError(ProtocolErrorCode.WrongPurpose, $"the object's \"{PurposeMember}\" is \"{StrictTruncate(purpose)}\", expected \"{expectedPurpose}\"");
        }

        if (!signed.TryGetPropertyValue(SignatureMember, out var sigNode) || sigNode is null)
        {
            return new ProtocolError(ProtocolErrorCode.MissingSignature, $"the object has no \"{SignatureMember}\" member");
        }

        if (sigNode is not JsonValue sigValue || !sigValue.TryGetValue<string>(out var sigText) ||
            !Base64Url.TryDecode(sigText, out var signature) || signature.Length != Es256.SignatureLength)
        {
            return new ProtocolError(ProtocolErrorCode.MalformedSignature, $"\"{SignatureMember}\" must be strict base64url of exactly {Es256.SignatureLength} bytes (ES256, IEEE P1363 r||s)");
        }

        byte[] digest;
        if (signingInputDigest is null)
        {
            var input = SigningInput(signed);
            if (!input.TryGetValue(out var bytes, out var error))
            {
                return error;
            }

            digest = SHA256.HashData(bytes);
        }
        else
        {
            digest = signingInputDigest;
        }

        return Es256.VerifyDigest(key, digest, signature)
            ? null
            : new ProtocolError(ProtocolErrorCode.BadSignature, $"the signature does not verify with key {key.Thumbprint}");
    }

    /// <summary>The id by hash: base64url SHA-256 of <see cref="SigningInput(JsonObject)"/> (the canonical form without <c>sig</c>).</summary>
    public static Outcome<string> ContentId(JsonObject obj)
    {
        var input = SigningInput(obj);
        return input.TryGetValue(out var bytes, out var error) ? Outcome<string>.Ok(Sha256Id.Of(bytes)) : Outcome<string>.Fail(error);
    }

    private static ProtocolError? CheckPurposeMember(JsonObject obj, out string? purpose)
    {
        purpose = null;
        if (!obj.TryGetPropertyValue(PurposeMember, out var node))
        {
            return new ProtocolError(ProtocolErrorCode.MissingField, $"a signed object needs a \"{PurposeMember}\" member");
        }

        if (node is not JsonValue value || !value.TryGetValue<string>(out purpose) || purpose.Length == 0)
        {
            return new ProtocolError(ProtocolErrorCode.InvalidField, $"\"{PurposeMember}\" must be a non-empty string");
        }

        return null;
    }

    private static string StrictTruncate(string text) => text.Length <= 64 ? text : string.Concat(text.AsSpan(0, 64), "...");
}
