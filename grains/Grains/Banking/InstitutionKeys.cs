using Orleans.Concurrency;
using OrleansSettlement.Contracts;
using OrleansSettlement.Protocol.Crypto;

namespace OrleansSettlement.Grains.Banking;

/// <summary>
/// One note-issuing key version as the institution keeps it. In development the private JWK lives here (in grain
/// state); with Key Vault this becomes a key identifier and <see cref="DevelopmentKeys.OpenSigner"/> is replaced by a
/// Key Vault signer, so only the signing worker changes.
/// </summary>
/// <remarks>Secret: never log it. <see cref="ToString"/> leaves the private key out.</remarks>
[GenerateSerializer, Immutable, Alias("osettle.banking.NoteKeyMaterial")]
public sealed record NoteKeyMaterial(
    [property: Id(0)] string Kid,
    [property: Id(1)] string PrivateJwkJson,
    [property: Id(2)] KeyStatus Status,
    [property: Id(3)] string? ExternalKeyId = null)
{
    public override string ToString() => $"NoteKeyMaterial {{ Kid = {Kid}, Status = {Status}, ExternalKeyId = {ExternalKeyId} }}";
}

/// <summary>Every private key of an institution: its note key versions and its messaging key (verification results).</summary>
/// <remarks>Secret: never log it. <see cref="ToString"/> leaves the private keys out.</remarks>
[GenerateSerializer, Immutable, Alias("osettle.banking.InstitutionKeyMaterial")]
public sealed record InstitutionKeyMaterial(
    [property: Id(0)] IReadOnlyList<NoteKeyMaterial> NoteKeys,
    [property: Id(1)] string MessagingKid,
    [property: Id(2)] string MessagingPrivateJwkJson)
{
    public override string ToString() => $"InstitutionKeyMaterial {{ NoteKeys = {NoteKeys.Count}, MessagingKid = {MessagingKid} }}";
}

/// <summary>
/// The institution grain's second face, for the bank's own signing worker only (<see cref="IInstitutionSignerGrain"/>):
/// the key material, read once per worker activation so that signing never queues behind the institution grain.
/// Not part of the contracts: the API and other grains cannot reach it. Key: the institution name.
/// </summary>
[Alias("osettle.banking.IInstitutionKeysGrain")]
public interface IInstitutionKeysGrain : IGrainWithStringKey
{
    /// <summary>The key material, or null when the institution does not exist.</summary>
    [Alias("GetKeyMaterial"), ReadOnly]
    Task<InstitutionKeyMaterial?> GetKeyMaterial();
}

/// <summary>
/// The development key source: fresh P-256 keys whose private JWKs are kept in grain state, and signers made from them.
/// Everything that signs goes through <see cref="ISigner"/>, so a Key Vault signer replaces <see cref="OpenSigner"/>
/// without touching the grains that ask for signatures.
/// </summary>
internal static class DevelopmentKeys
{
    /// <summary>A fresh key: its kid (RFC 7638 thumbprint), private JWK text and public JWK text.</summary>
    public static (string Kid, string PrivateJwkJson, string PublicJwkJson) Generate()
    {
        using var signer = LocalSigner.Generate();
        return (signer.PublicKey.Thumbprint, signer.ToPrivateJwkJson(), signer.PublicKey.ToJson().ToJsonString());
    }

    /// <summary>The public JWK text of a private JWK kept in state.</summary>
    public static string PublicJwkOf(string privateJwkJson)
    {
        using var signer = Open(privateJwkJson);
        return signer.PublicKey.ToJson().ToJsonString();
    }

    /// <summary>A signer for a key kept in state; the caller disposes it when it is <see cref="IDisposable"/>.</summary>
    public static ISigner OpenSigner(string privateJwkJson) => Open(privateJwkJson);

    private static LocalSigner Open(string privateJwkJson)
    {
        var opened = LocalSigner.FromPrivateJwk(privateJwkJson);
        return opened.IsOk
            ? opened.Value
            : throw new InvalidOperationException("A private key kept in institution state cannot be opened: " + opened.Error.Code);
    }
}
