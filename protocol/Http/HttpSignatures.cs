using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using OrleansSettlement.Protocol.Crypto;

namespace OrleansSettlement.Protocol.Http;

/// <summary>The parts of an HTTP request that a wallet signs (RFC 9421) and a server checks.</summary>
/// <param name="Method">The request method, upper case.</param>
/// <param name="TargetUri">The full target URI as the client sent it: scheme, authority, path and query.</param>
/// <param name="ContentDigest">The <c>Content-Digest</c> header (RFC 9530), or null when the request has no body.</param>
/// <param name="IdempotencyKey">The <c>Idempotency-Key</c> header, or null when absent.</param>
public sealed record SignedRequestParts(string Method, string TargetUri, string? ContentDigest, string? IdempotencyKey);

/// <summary>The parameters of one signature, from <c>Signature-Input</c>.</summary>
public sealed record SignatureParameters(
    string Label,
    IReadOnlyList<string> Components,
    long Created,
    string KeyId,
    string Algorithm,
    string Nonce,
    string SerializedParameters);

/// <summary>
/// RFC 9421 HTTP Message Signatures as wallets use them: algorithm <c>ecdsa-p256-sha256</c> (ES256, 64-byte
/// <c>r||s</c>), <c>keyid</c> = the wallet key's RFC 7638 thumbprint, covering <c>@method</c>, <c>@target-uri</c>,
/// <c>content-digest</c> when there is a body and <c>idempotency-key</c> when present, with the <c>created</c>
/// and <c>nonce</c> parameters. One signature per request, labelled <c>sig1</c> by the SDK (any label is read).
/// </summary>
public static class HttpSignatures
{
    public const string Algorithm = "ecdsa-p256-sha256";
    public const string SignatureInputHeader = "Signature-Input";
    public const string SignatureHeader = "Signature";
    public const string ContentDigestHeader = "Content-Digest";
    public const string IdempotencyKeyHeader = "Idempotency-Key";
    public const string DefaultLabel = "sig1";

    /// <summary>How far in the past <c>created</c> may lie.</summary>
    public static readonly TimeSpan MaxAge = TimeSpan.FromMinutes(5);

    /// <summary>How far in the future <c>created</c> may lie (clock skew).</summary>
    public static readonly TimeSpan MaxSkew = TimeSpan.FromSeconds(30);

    /// <summary>RFC 9530 <c>Content-Digest</c> value with SHA-256: <c>sha-256=:base64:</c>.</summary>
    public static string ContentDigest(ReadOnlySpan<byte> body) => $"sha-256=:{Convert.ToBase64String(SHA256.HashData(body))}:";

    /// <summary>The components a request of this shape must cover, in the order the SDK signs them.</summary>
    public static IReadOnlyList<string> RequiredComponents(SignedRequestParts parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        var components = new List<string>(4) { "@method", "@target-uri" };
        if (parts.ContentDigest is not null)
        {
            components.Add("content-digest");
        }

        if (parts.IdempotencyKey is not null)
        {
            components.Add("idempotency-key");
        }

        return components;
    }

    /// <summary>Signs a request: returns the <c>Signature-Input</c> and <c>Signature</c> header values.</summary>
    public static async ValueTask<(string SignatureInput, string Signature)> SignAsync(
        SignedRequestParts parts,
        ISigner signer,
        DateTimeOffset created,
        string? nonce = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(parts);
        ArgumentNullException.ThrowIfNull(signer);
        var key = await signer.GetPublicKeyAsync(cancellationToken).ConfigureAwait(false);
        nonce ??= Encoding.Base64Url.Encode(RandomNumberGenerator.GetBytes(16));
        var components = RequiredComponents(parts);
        var parameters = SerializeParameters(components, created.ToUnixTimeSeconds(), key.Thumbprint, nonce);
        var signatureBase = BuildBase(parts, components, parameters);
        var digest = SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(signatureBase));
        var signature = await signer.SignDigestAsync(digest, cancellationToken).ConfigureAwait(false);
        return ($"{DefaultLabel}={parameters}", $"{DefaultLabel}=:{Convert.ToBase64String(signature.SignatureP1363)}:");
    }

    /// <summary>
    /// Reads <c>Signature-Input</c>: exactly one signature, with <c>created</c>, <c>keyid</c> and <c>nonce</c>, and an
    /// algorithm (when named) of <see cref="Algorithm"/>.
    /// </summary>
    public static Outcome<SignatureParameters> ParseInput(string? signatureInput)
    {
        if (string.IsNullOrWhiteSpace(signatureInput))
        {
            return Unauthenticated("the request has no Signature-Input header: wallet requests are signed (RFC 9421).");
        }

        var text = signatureInput.Trim();
        var equals = text.IndexOf('=', StringComparison.Ordinal);
        if (equals <= 0 || text.Contains(",(", StringComparison.Ordinal) || CountTopLevelCommas(text) > 0)
        {
            return Unauthenticated("Signature-Input must hold exactly one signature, like sig1=(\"@method\" ...);created=...;keyid=\"...\";nonce=\"...\".");
        }

        var label = text[..equals];
        if (!IsToken(label))
        {
            return Unauthenticated("the Signature-Input label is not a valid key.");
        }

        var rest = text[(equals + 1)..];
        if (rest.Length == 0 || rest[0] != '(')
        {
            return Unauthenticated("Signature-Input must start with the list of covered components in parentheses.");
        }

        var close = rest.IndexOf(')', StringComparison.Ordinal);
        if (close < 0)
        {
            return Unauthenticated("Signature-Input's component list is not closed.");
        }

        var components = new List<string>();
        foreach (var item in rest[1..close].Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (item.Length < 2 || item[0] != '"' || item[^1] != '"' || item[1..^1].Contains('"', StringComparison.Ordinal))
            {
                return Unauthenticated("each covered component must be a quoted name without parameters.");
            }

            components.Add(item[1..^1]);
        }

        if (components.Distinct(StringComparer.Ordinal).Count() != components.Count)
        {
            return Unauthenticated("a component is covered twice.");
        }

        long? created = null;
        string? keyId = null, algorithm = null, nonce = null;
        var serialized = rest;
        foreach (var parameter in rest[(close + 1)..].Split(';', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = parameter.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                return Unauthenticated($"the signature parameter '{Model.Currency.Truncate(parameter)}' has no value.");
            }

            var name = parameter[..eq];
            var value = parameter[(eq + 1)..];
            switch (name)
            {
                case "created" when created is null && long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds):
                    created = seconds;
                    break;
                case "keyid" when keyId is null && TryUnquote(value, out var k):
                    keyId = k;
                    break;
                case "alg" when algorithm is null && TryUnquote(value, out var a):
                    algorithm = a;
                    break;
                case "nonce" when nonce is null && TryUnquote(value, out var n):
                    nonce = n;
                    break;
                case "expires" when long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out _):
                    break;
                default:
                    return Unauthenticated($"the signature parameter '{Model.Currency.Truncate(name)}' is unknown, repeated or malformed.");
            }
        }

        if (created is null || keyId is null || nonce is null)
        {
            return Unauthenticated("Signature-Input must carry created, keyid and nonce.");
        }

        if (algorithm is not null && algorithm != Algorithm)
        {
            return Unauthenticated($"the signature algorithm must be {Algorithm}, not '{Model.Currency.Truncate(algorithm)}'.");
        }

        if (nonce.Length is < 16 or > 64)
        {
            return Unauthenticated("the nonce must be 16 to 64 characters.");
        }

        return Outcome<SignatureParameters>.Ok(new SignatureParameters(label, components, created.Value, keyId, Algorithm, nonce, serialized));
    }

    /// <summary>
    /// Verifies a request signature with the wallet's key: the required components are covered, <c>created</c> lies
    /// within the window, the <c>Signature</c> header has the same label and 64 bytes, and the signature verifies
    /// over the signature base. The caller checks <c>content-digest</c> against the body and the nonce for replays.
    /// </summary>
    public static ProtocolError? Verify(SignedRequestParts parts, SignatureParameters parameters, string? signatureHeader, PublicJwk key, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(parts);
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(key);
        foreach (var required in RequiredComponents(parts))
        {
            if (!parameters.Components.Contains(required, StringComparer.Ordinal))
            {
                return new ProtocolError(ProtocolErrorCode.Unauthenticated, $"the request signature must cover {required}.");
            }
        }

        foreach (var component in parameters.Components)
        {
            if (component is not ("@method" or "@target-uri" or "content-digest" or "idempotency-key"))
            {
                return new ProtocolError(ProtocolErrorCode.Unauthenticated, $"the component '{Model.Currency.Truncate(component)}' cannot be covered here.");
            }

            if ((component == "content-digest" && parts.ContentDigest is null) || (component == "idempotency-key" && parts.IdempotencyKey is null))
            {
                return new ProtocolError(ProtocolErrorCode.Unauthenticated, $"the signature covers {component} but the request has no such header.");
            }
        }

        var created = DateTimeOffset.FromUnixTimeSeconds(Math.Clamp(parameters.Created, 0, 253402300799));
        if (created < now - MaxAge || created > now + MaxSkew)
        {
            return new ProtocolError(ProtocolErrorCode.SignatureExpired, $"the request signature was created at {Model.Timestamps.Format(created)}; it must be within {MaxAge.TotalMinutes} minutes before the server's time {Model.Timestamps.Format(now)}.");
        }

        if (!string.Equals(parameters.KeyId, key.Thumbprint, StringComparison.Ordinal))
        {
            return new ProtocolError(ProtocolErrorCode.Unauthenticated, "the signature's keyid is not the key it is checked with.");
        }

        var prefix = parameters.Label + "=:";
        if (signatureHeader is null || !signatureHeader.StartsWith(prefix, StringComparison.Ordinal) || !signatureHeader.EndsWith(':') || signatureHeader.Length <= prefix.Length + 1)
        {
            return new ProtocolError(ProtocolErrorCode.Unauthenticated, $"the Signature header must hold {parameters.Label}=:base64:.");
        }

        byte[] signature;
        try
        {
            signature = Convert.FromBase64String(signatureHeader[prefix.Length..^1]);
        }
        catch (FormatException)
        {
            return new ProtocolError(ProtocolErrorCode.Unauthenticated, "the Signature header is not base64.");
        }

        if (signature.Length != Es256.SignatureLength)
        {
            return new ProtocolError(ProtocolErrorCode.Unauthenticated, "the request signature must be 64 bytes (r||s).");
        }

        var signatureBase = BuildBase(parts, parameters.Components, parameters.SerializedParameters);
        return Es256.Verify(key, System.Text.Encoding.UTF8.GetBytes(signatureBase), signature)
            ? null
            : new ProtocolError(ProtocolErrorCode.Unauthenticated, "the request signature does not verify with the wallet's key.");
    }

    /// <summary>The RFC 9421 signature base: one line per covered component, then <c>@signature-params</c>.</summary>
    public static string BuildBase(SignedRequestParts parts, IReadOnlyList<string> components, string serializedParameters)
    {
        ArgumentNullException.ThrowIfNull(parts);
        ArgumentNullException.ThrowIfNull(components);
        var builder = new StringBuilder();
        foreach (var component in components)
        {
            var value = component switch
            {
                "@method" => parts.Method.ToUpperInvariant(),
                "@target-uri" => parts.TargetUri,
                "content-digest" => parts.ContentDigest,
                "idempotency-key" => parts.IdempotencyKey,
                _ => null,
            } ?? throw new ArgumentException($"no value for component {component}", nameof(components));
            builder.Append('"').Append(component).Append("\": ").Append(value.Trim()).Append('\n');
        }

        builder.Append("\"@signature-params\": ").Append(serializedParameters);
        return builder.ToString();
    }

    private static string SerializeParameters(IReadOnlyList<string> components, long created, string keyId, string nonce) =>
        $"({string.Join(' ', components.Select(c => $"\"{c}\""))});created={created.ToString(CultureInfo.InvariantCulture)};keyid=\"{keyId}\";alg=\"{Algorithm}\";nonce=\"{nonce}\"";

    private static Outcome<SignatureParameters> Unauthenticated(string detail) =>
        Outcome<SignatureParameters>.Fail(ProtocolErrorCode.Unauthenticated, detail);

    private static bool TryUnquote(string value, out string unquoted)
    {
        unquoted = "";
        if (value.Length < 2 || value[0] != '"' || value[^1] != '"')
        {
            return false;
        }

        var inner = value[1..^1];
        if (inner.Any(c => c is '"' or '\\' or < ' ' or > '~'))
        {
            return false;
        }

        unquoted = inner;
        return true;
    }

    private static bool IsToken(string text) =>
        text.Length is > 0 and <= 64 && text[0] is >= 'a' and <= 'z' && text.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '_' or '-' or '.' or '*');

    private static int CountTopLevelCommas(string text)
    {
        var inQuotes = false;
        var count = 0;
        foreach (var c in text)
        {
            if (c == '"')
            {
                inQuotes = !inQuotes;
            }
            else if (c == ',' && !inQuotes)
            {
                count++;
            }
        }

        return count;
    }
}
