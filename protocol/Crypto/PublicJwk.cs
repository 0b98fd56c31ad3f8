using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using OrleansSettlement.Protocol.Canonical;
using OrleansSettlement.Protocol.Encoding;

namespace OrleansSettlement.Protocol.Crypto;

/// <summary>
/// An EC P-256 public key as a JWK (RFC 7517/7518): <c>{"kty":"EC","crv":"P-256","x":..,"y":..}</c>.
/// A key is named by its RFC 7638 thumbprint, which is the <c>kid</c> wherever a key id appears.
/// Instances are always valid: x and y are 32 bytes each and the point is on the curve.
/// </summary>
public sealed class PublicJwk : IEquatable<PublicJwk>
{
    private readonly byte[] _x;
    private readonly byte[] _y;

    // Keys are read again from every message that carries them (an agreement names every payer's key, a profile its
    // bank's keys), and checking a point on the curve plus importing it into the platform cost more than a verification.
    // So a key is made once per process for each pair of coordinates (docs/performance.md): parsing the same x and y
    // again returns the same instance, with its pool of imported verifiers. Only the key is shared, never a verdict:
    // every signature is still verified. Bounded: past MaxKnownKeys distinct keys the table starts over.
    private const int MaxKnownKeys = 10_000;

    private static readonly ConcurrentDictionary<(string X, string Y), PublicJwk> KnownKeys = new();

    // Importing a key costs more than a verification, so verifiers are reused: each one is used by
    // one thread at a time (taken from a slot, put back after). They are never handed out. Slots, not a
    // ConcurrentBag: the bag's Count takes every one of its locks, which made concurrent verifications
    // with one key (a bank's profile key, a store's challenge key) queue on each other.
    private readonly ECDsa?[] _verifiers = new ECDsa?[Math.Max(2, Environment.ProcessorCount * 2)];

    private PublicJwk(byte[] x, byte[] y)
    {
        _x = x;
        _y = y;
        X = Base64Url.Encode(x);
        Y = Base64Url.Encode(y);
        Thumbprint = ComputeThumbprint(X, Y);
    }

    /// <summary>The x coordinate, base64url of 32 big-endian bytes.</summary>
    public string X { get; }

    /// <summary>The y coordinate, base64url of 32 big-endian bytes.</summary>
    public string Y { get; }

    /// <summary>RFC 7638 thumbprint: base64url SHA-256 of <c>{"crv":"P-256","kty":"EC","x":..,"y":..}</c>.</summary>
    public string Thumbprint { get; }

    /// <summary>
    /// Reads a public JWK: <c>kty</c> must be <c>EC</c>, <c>crv</c> <c>P-256</c>, <c>x</c> and <c>y</c> strict
    /// base64url of exactly 32 bytes naming a point on the curve. A <c>d</c> member (a private key where a
    /// public one is expected) is refused. <c>kid</c>, when present, must equal the thumbprint; <c>alg</c>,
    /// when present, must be <c>ES256</c>; <c>use</c>, when present, must be <c>sig</c>. Other members
    /// (WebCrypto's <c>ext</c> and <c>key_ops</c>, for example) are ignored.
    /// </summary>
    public static Outcome<PublicJwk> Parse(JsonNode? node)
    {
        if (node is not JsonObject obj)
        {
            return Fail("a public key must be a JWK object");
        }

        if (obj.ContainsKey("d"))
        {
            return Fail("the JWK holds a private key (member \"d\") where a public key is expected");
        }

        return ParseCore(obj);
    }

    public static Outcome<PublicJwk> Parse(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        var parsed = SafeJson.ParseObject(json);
        if (!parsed.TryGetValue(out var obj, out var error))
        {
            return Fail($"the JWK is not a valid JSON object: {error.Detail}");
        }

        return Parse(obj);
    }

    /// <summary>From raw coordinates (32 bytes each); refused when the point is not on P-256.</summary>
    public static Outcome<PublicJwk> FromCoordinates(ReadOnlySpan<byte> x, ReadOnlySpan<byte> y)
    {
        if (x.Length != P256.FieldSize || y.Length != P256.FieldSize)
        {
            return Fail("P-256 coordinates are 32 bytes each");
        }

        if (!P256.IsOnCurve(x, y))
        {
            return Fail("the point (x, y) is not on the P-256 curve");
        }

        return Outcome<PublicJwk>.Ok(Remember(new PublicJwk(x.ToArray(), y.ToArray())));
    }

    /// <summary>The public part of P-256 parameters (for example from <c>ECDsa.ExportParameters(false)</c>).</summary>
    public static PublicJwk FromParameters(ECParameters p)
    {
        if (!IsP256(p.Curve))
        {
            throw new ArgumentException("the parameters are not for the P-256 curve", nameof(p));
        }

        var result = FromCoordinates(p.Q.X ?? [], p.Q.Y ?? []);
        return result.IsOk ? result.Value : throw new ArgumentException(result.Error.Detail, nameof(p));
    }

    public JsonObject ToJson() => new()
    {
        ["kty"] = "EC",
        ["crv"] = "P-256",
        ["x"] = X,
        ["y"] = Y,
    };

    /// <summary>A verifying key for the platform's ECDsa; the caller disposes it.</summary>
    public ECDsa CreateEcdsa() => ECDsa.Create(ToParameters());

    /// <summary>Verifies a P1363 signature over a SHA-256 digest with a pooled platform key; no input checks (see <see cref="Es256"/>).</summary>
    internal bool VerifyHash(ReadOnlySpan<byte> sha256Digest, ReadOnlySpan<byte> signatureP1363)
    {
        var ecdsa = TakeVerifier() ?? CreateEcdsa();
        var result = ecdsa.VerifyHash(sha256Digest, signatureP1363, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        ReturnVerifier(ecdsa);
        return result;
    }

    /// <summary>The public parameters (copies of the coordinates).</summary>
    private ECDsa? TakeVerifier()
    {
        for (var i = 0; i < _verifiers.Length; i++)
        {
            if (Volatile.Read(ref _verifiers[i]) is not null && Interlocked.Exchange(ref _verifiers[i], null) is { } taken)
            {
                return taken;
            }
        }

        return null;
    }

    private void ReturnVerifier(ECDsa ecdsa)
    {
        for (var i = 0; i < _verifiers.Length; i++)
        {
            if (Volatile.Read(ref _verifiers[i]) is null && Interlocked.CompareExchange(ref _verifiers[i], ecdsa, null) is null)
            {
                return;
            }
        }

        ecdsa.Dispose();
    }

    public ECParameters ToParameters() => new()
    {
        Curve = ECCurve.NamedCurves.nistP256,
        Q = new ECPoint { X = (byte[])_x.Clone(), Y = (byte[])_y.Clone() },
    };

    public bool Equals(PublicJwk? other) =>
        other is not null && _x.AsSpan().SequenceEqual(other._x) && _y.AsSpan().SequenceEqual(other._y);

    public override bool Equals(object? obj) => obj is PublicJwk other && Equals(other);

    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(Thumbprint);

    public override string ToString() => ToJson().ToJsonString();

    internal static bool IsP256(ECCurve curve)
    {
        if (!curve.IsNamed)
        {
            return false;
        }

        var oid = curve.Oid;
        return oid.Value == "1.2.840.10045.3.1.7" || oid.FriendlyName is "nistP256" or "ECDSA_P256" or "secp256r1" or "prime256v1";
    }

    /// <summary>Checks everything but <c>d</c>; shared with the private JWK reader.</summary>
    internal static Outcome<PublicJwk> ParseCore(JsonObject obj)
    {
        if (!TryGetString(obj, "kty", out var kty) || kty != "EC")
        {
            return Fail("the JWK must have \"kty\":\"EC\"");
        }

        if (!TryGetString(obj, "crv", out var crv) || crv != "P-256")
        {
            return Fail("the JWK must have \"crv\":\"P-256\"");
        }

        TryGetString(obj, "x", out var xText);
        TryGetString(obj, "y", out var yText);
        if (!Base64Url.TryDecode(xText, out var x) || x.Length != P256.FieldSize ||
            !Base64Url.TryDecode(yText, out var y) || y.Length != P256.FieldSize)
        {
            return Fail("the JWK's \"x\" and \"y\" must be strict base64url of exactly 32 bytes each");
        }

        // Strict base64url has one text per byte string, so the texts name the coordinates exactly.
        if (!KnownKeys.TryGetValue((xText!, yText!), out var key))
        {
            if (!P256.IsOnCurve(x, y))
            {
                return Fail("the JWK's point (x, y) is not on the P-256 curve");
            }

            key = Remember(new PublicJwk(x, y));
        }

        if (obj.ContainsKey("alg") && (!TryGetString(obj, "alg", out var alg) || alg != "ES256"))
        {
            return Fail("the JWK's \"alg\", when present, must be \"ES256\"");
        }

        if (obj.ContainsKey("use") && (!TryGetString(obj, "use", out var use) || use != "sig"))
        {
            return Fail("the JWK's \"use\", when present, must be \"sig\"");
        }

        if (obj.ContainsKey("kid") && (!TryGetString(obj, "kid", out var kid) || kid != key.Thumbprint))
        {
            return Fail($"the JWK's \"kid\", when present, must be its RFC 7638 thumbprint {key.Thumbprint}");
        }

        return Outcome<PublicJwk>.Ok(key);
    }

    internal static bool TryGetString(JsonObject obj, string name, out string? value)
    {
        value = null;
        if (obj.TryGetPropertyValue(name, out var node) && node is JsonValue v && v.TryGetValue<string>(out var s))
        {
            value = s;
            return true;
        }

        return false;
    }

    /// <summary>The instance already known for these coordinates, else <paramref name="key"/>, now known.</summary>
    private static PublicJwk Remember(PublicJwk key)
    {
        if (KnownKeys.Count >= MaxKnownKeys)
        {
            KnownKeys.Clear();
        }

        return KnownKeys.GetOrAdd((key.X, key.Y), key);
    }

    private static string ComputeThumbprint(string x, string y)
    {
        // RFC 7638 §3.2: the required members in lexicographic order, no whitespace. x and y are
        // base64url (no characters needing escapes), so this is also their RFC 8785 form.
        var canonical = $"{{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"{x}\",\"y\":\"{y}\"}}";
        return Sha256Id.Of(System.Text.Encoding.UTF8.GetBytes(canonical));
    }

    private static Outcome<PublicJwk> Fail(string detail) => Outcome<PublicJwk>.Fail(ProtocolErrorCode.InvalidKey, detail);
}
