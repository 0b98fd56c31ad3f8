using System.Security.Cryptography;
using System.Text.Json.Nodes;
using OrleansSettlement.Protocol.Canonical;
using OrleansSettlement.Protocol.Encoding;

namespace OrleansSettlement.Protocol.Crypto;

/// <summary>An in-process P-256 key for development, tests and messaging keys loaded from configuration.</summary>
public sealed class LocalSigner : ISigner, IDisposable
{
    private readonly ECDsa _ecdsa;
    private readonly Lock _gate = new(); // ECDsa instance members are not documented as thread-safe
    private bool _disposed;

    private LocalSigner(ECDsa ecdsa)
    {
        _ecdsa = ecdsa;
        PublicKey = PublicJwk.FromParameters(ecdsa.ExportParameters(includePrivateParameters: false));
    }

    public PublicJwk PublicKey { get; }

    /// <summary>A fresh random key.</summary>
    public static LocalSigner Generate() => new(ECDsa.Create(ECCurve.NamedCurves.nistP256));

    /// <summary>
    /// Reads a private JWK <c>{"kty":"EC","crv":"P-256","x","y","d"}</c> (all strict base64url, 32 bytes
    /// each; <c>kid</c>, when present, must be the thumbprint). <c>d</c> must be in [1, n - 1] and its public
    /// point must be exactly (x, y). Every refusal is <see cref="ProtocolErrorCode.InvalidKey"/>.
    /// </summary>
    public static Outcome<LocalSigner> FromPrivateJwk(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        var parsed = SafeJson.ParseObject(json);
        if (!parsed.TryGetValue(out var obj, out var error))
        {
            return Fail($"the private JWK is not a valid JSON object: {error.Detail}");
        }

        return FromPrivateJwk(obj);
    }

    public static Outcome<LocalSigner> FromPrivateJwk(JsonObject jwk)
    {
        ArgumentNullException.ThrowIfNull(jwk);
        var publicPart = PublicJwk.ParseCore(jwk);
        if (!publicPart.TryGetValue(out var publicKey, out var error))
        {
            return Outcome<LocalSigner>.Fail(error);
        }

        PublicJwk.TryGetString(jwk, "d", out var dText);
        if (!Base64Url.TryDecode(dText, out var d) || d.Length != P256.FieldSize)
        {
            return Fail("the private JWK's \"d\" must be strict base64url of exactly 32 bytes");
        }

        try
        {
            if (!P256.IsValidScalar(d))
            {
                return Fail("the private JWK's \"d\" is not in [1, n - 1]");
            }

            // Import d alone so the platform derives the public point, then compare it with x and y.
            var ecdsa = ECDsa.Create(new ECParameters { Curve = ECCurve.NamedCurves.nistP256, D = d });
            try
            {
                var derived = PublicJwk.FromParameters(ecdsa.ExportParameters(includePrivateParameters: false));
                if (!derived.Equals(publicKey))
                {
                    ecdsa.Dispose();
                    return Fail("the private JWK's \"d\" does not match its \"x\" and \"y\"");
                }

                return Outcome<LocalSigner>.Ok(new LocalSigner(ecdsa));
            }
            catch
            {
                ecdsa.Dispose();
                throw;
            }
        }
        catch (CryptographicException ex)
        {
            return Fail($"the private JWK cannot be imported: {ex.Message}");
        }
        finally
        {
            CryptographicOperations.ZeroMemory(d);
        }
    }

    /// <summary>The private JWK, with <c>d</c> and <c>kid</c> (the thumbprint). Secret: store it like a password.</summary>
    public string ToPrivateJwkJson()
    {
        ECParameters parameters;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            parameters = _ecdsa.ExportParameters(includePrivateParameters: true);
        }

        try
        {
            var jwk = PublicKey.ToJson();
            jwk["d"] = Base64Url.Encode(parameters.D);
            jwk["kid"] = PublicKey.Thumbprint;
            return jwk.ToJsonString();
        }
        finally
        {
            CryptographicOperations.ZeroMemory(parameters.D);
        }
    }

    /// <summary>Signs synchronously; <see cref="SignDigestAsync"/> wraps this.</summary>
    public DigestSignature SignDigest(ReadOnlySpan<byte> sha256Digest)
    {
        if (sha256Digest.Length != SHA256.HashSizeInBytes)
        {
            throw new ArgumentException("ES256 signs a 32-byte SHA-256 digest", nameof(sha256Digest));
        }

        byte[] signature;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            signature = _ecdsa.SignHash(sha256Digest, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        }

        Diagnostics.ProtocolMetrics.Signatures.Add(1);
        return new DigestSignature(signature, PublicKey.Thumbprint);
    }

    public ValueTask<DigestSignature> SignDigestAsync(ReadOnlyMemory<byte> sha256Digest, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(SignDigest(sha256Digest.Span));
    }

    public ValueTask<PublicJwk> GetPublicKeyAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(PublicKey);
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (!_disposed)
            {
                _disposed = true;
                _ecdsa.Dispose();
            }
        }
    }

    private static Outcome<LocalSigner> Fail(string detail) => Outcome<LocalSigner>.Fail(ProtocolErrorCode.InvalidKey, detail);
}
