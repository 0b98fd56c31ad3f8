using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using OrleansSettlement.Protocol.Canonical;
using OrleansSettlement.Protocol.Crypto;
using OrleansSettlement.Protocol.Encoding;
using OrleansSettlement.Protocol.Signing;

namespace OrleansSettlement.Protocol.Messages;

/// <summary>
/// The purpose tags of every message type. The purpose is inside what is signed, so a signature made
/// for one message type never verifies as another. A new message type or version gets a new tag.
/// </summary>
public static class Purposes
{
    public const string Note = "osettle.note.v1";
    public const string Agreement = "osettle.agreement.v1";
    public const string Acceptance = "osettle.acceptance.v1";
    public const string Request = "osettle.request.v1";
    public const string Challenge = "osettle.challenge.v1";
    public const string Response = "osettle.response.v1";
    public const string VerificationResult = "osettle.verification-result.v1";

    public static IReadOnlyList<string> All { get; } = [Note, Agreement, Acceptance, Request, Challenge, Response, VerificationResult];
}

/// <summary>
/// A message as received: the typed value and the exact JSON object it was read from. Signatures and
/// ids are always computed from the JSON (its canonical form), never from a re-serialization.
/// </summary>
public sealed class Parsed<T>
    where T : class
{
    private string? _id;
    private byte[]? _digest;

    internal Parsed(T value, JsonObject json)
    {
        Value = value;
        Json = json;
    }

    public T Value { get; }

    public JsonObject Json { get; }

    /// <summary>The base64url SHA-256 of the canonical form without <c>sig</c>: the agreement id, the challenge id.</summary>
    public string Id => _id ??= Base64Url.Encode(TryDigest() ?? throw new InvalidOperationException("a parsed message has no signing input"));

    /// <summary>Checks the signature with the key that should have made it, for this message's purpose.</summary>
    public ProtocolError? VerifySignature(PublicJwk key, string purpose) => SignedObject.Verify(Json, key, purpose, TryDigest());

    /// <summary>The canonical JSON text of the whole message, signature included.</summary>
    public string ToCanonicalString() => Jcs.CanonicalizeToString(Json);

    // The SHA-256 of the signing input (RFC 8785 form without "sig"), made once: the content id and every signature check
    // of this message use it, so a message whose id is read and whose signature is checked is canonicalized and hashed
    // once, not once per use. Like the id, it assumes Json is not changed after parsing (it never is: Json is what was read).
    private byte[]? TryDigest()
    {
        if (_digest is null && SignedObject.SigningInput(Json, safeJsonChecked: true).TryGetValue(out var input, out _))
        {
            _digest = SHA256.HashData(input);
        }

        return _digest;
    }
}

/// <summary>The shared steps of reading any message: object, safe JSON, purpose, signature member, no unknown members.</summary>
internal static class MessageReader
{
    public static Outcome<Parsed<T>> Read<T>(JsonNode? node, string path, string purpose, bool signed, Func<ObjectReader, T?> read)
        where T : class
    {
        if (node is not JsonObject obj)
        {
            return Outcome<Parsed<T>>.Fail(ProtocolErrorCode.InvalidField, $"{Describe(path)} must be a JSON object.");
        }

        if (SafeJson.CheckUnlessJustParsed(obj) is { } unsafeJson)
        {
            return Outcome<Parsed<T>>.Fail(unsafeJson.Code, $"{Describe(path)}: {unsafeJson.Detail}");
        }

        var reader = new ObjectReader(obj, path);
        reader.Constant(SignedObject.PurposeMember, purpose);
        if (signed)
        {
            reader.Skip(SignedObject.SignatureMember);
            obj.TryGetPropertyValue(SignedObject.SignatureMember, out var sig);
            if (reader.Error is null && sig is null)
            {
                reader.Fail(ProtocolErrorCode.MissingSignature, $"{reader.Field(SignedObject.SignatureMember)} is required: this message must be signed.");
            }
            else if (reader.Error is null && sig!.GetValueKind() != JsonValueKind.String)
            {
                reader.Fail(ProtocolErrorCode.MalformedSignature, $"{reader.Field(SignedObject.SignatureMember)} must be a base64url string.");
            }
        }

        var value = reader.Error is null ? read(reader) : null;
        if (reader.Finish() is { } error)
        {
            return Outcome<Parsed<T>>.Fail(error);
        }

        return value is null
            ? throw new InvalidOperationException($"The reader for {typeof(T).Name} returned no value and no error.")
            : Outcome<Parsed<T>>.Ok(new Parsed<T>(value, obj));
    }

    public static Outcome<Parsed<T>> Read<T>(ReadOnlySpan<byte> utf8Json, string path, string purpose, bool signed, Func<ObjectReader, T?> read)
        where T : class
    {
        var parsed = SafeJson.ParseObject(utf8Json);
        return parsed.IsOk ? Read(parsed.Value, path, purpose, signed, read) : Outcome<Parsed<T>>.Fail(parsed.Error);
    }

    private static string Describe(string path) => path.Length == 0 ? "the message" : path;
}
