using Microsoft.Extensions.Logging;
using Orleans.Concurrency;
using OrleansSettlement.Contracts;
using OrleansSettlement.Protocol.Canonical;
using OrleansSettlement.Protocol.Crypto;
using OrleansSettlement.Protocol.Messages;
using OrleansSettlement.Protocol.Model;
using OrleansSettlement.Protocol.Signing;

namespace OrleansSettlement.Grains.Banking;

/// <summary>The content of a note the institution is about to sign; the issuer is the signing institution.</summary>
[GenerateSerializer, Immutable, Alias("osettle.banking.NoteDraft")]
public sealed record NoteDraft(
    [property: Id(0)] string Serial,
    [property: Id(1)] string Kid,
    [property: Id(2)] string Currency,
    [property: Id(3)] long AmountMinor,
    [property: Id(4)] string Holder,
    [property: Id(5)] DateTimeOffset IssuedAt,
    [property: Id(6)] DateTimeOffset ExpiresAt)
{
    /// <summary>The note this draft describes, issued by <paramref name="issuer"/>.</summary>
    public Note ToNote(string issuer)
    {
        var amount = Money.Positive(Currency, AmountMinor);
        return amount.IsOk
            ? new Note(Serial, issuer, Kid, amount.Value, Holder, IssuedAt, ExpiresAt)
            : throw new ArgumentException($"note draft {Serial}: {amount.Error}");
    }
}

/// <summary>The content of a verification result the institution is about to sign with its messaging key.</summary>
[GenerateSerializer, Immutable, Alias("osettle.banking.ResultDraft")]
public sealed record ResultDraft(
    [property: Id(0)] string AgreementId,
    [property: Id(1)] bool Valid,
    [property: Id(2)] string? Reason,
    [property: Id(3)] DateTimeOffset DecidedAt);

/// <summary>
/// Signs for one institution (key: the institution name): notes with its note keys and verification results with its
/// messaging key. A stateless worker, so signing scales out on every silo and never queues behind the institution grain;
/// it reads the key material once per activation (again after <see cref="BankingOptions.ProfileCacheLifetime"/>, or
/// when asked for a key version it does not know). Only the bank grains call it.
/// </summary>
[Alias("osettle.banking.IInstitutionSignerGrain")]
public interface IInstitutionSignerGrain : IGrainWithStringKey
{
    /// <summary>The kid of the note key new notes are signed with, or null when the institution does not exist.</summary>
    [Alias("GetActiveNoteKeyId")]
    Task<string?> GetActiveNoteKeyId();

    /// <summary>Signs notes (each with the key version its draft names, which must not be revoked); returns the signed
    /// notes as canonical JSON texts, in order.</summary>
    [Alias("SignNotes")]
    Task<IReadOnlyList<string>> SignNotes(IReadOnlyList<NoteDraft> drafts);

    /// <summary>Signs a verification result with the messaging key; returns its canonical JSON text.</summary>
    [Alias("SignResult")]
    Task<string> SignResult(ResultDraft draft);
}

[StatelessWorker]
public sealed partial class InstitutionSignerGrain(ILogger<InstitutionSignerGrain> logger) : Grain, IInstitutionSignerGrain
{
    private KeyRing? _ring;
    private DateTimeOffset _loadedAt;

    public async Task<string?> GetActiveNoteKeyId() => (await RingAsync(refresh: false).ConfigureAwait(true))?.ActiveNoteKid;

    public async Task<IReadOnlyList<string>> SignNotes(IReadOnlyList<NoteDraft> drafts)
    {
        ArgumentNullException.ThrowIfNull(drafts);
        var institution = this.GetPrimaryKeyString();
        var signed = new List<string>(drafts.Count);
        foreach (var draft in drafts)
        {
            var signer = await NoteSignerAsync(draft.Kid).ConfigureAwait(true);
            var result = await SignedObject.SignAsync(draft.ToNote(institution).ToContent(), Purposes.Note, signer).ConfigureAwait(true);
            signed.Add(result.IsOk ? Jcs.CanonicalizeToString(result.Value) : throw new InvalidOperationException($"note {draft.Serial} cannot be signed: {result.Error}"));
        }

        return signed;
    }

    public async Task<string> SignResult(ResultDraft draft)
    {
        ArgumentNullException.ThrowIfNull(draft);
        var ring = await RingAsync(refresh: false).ConfigureAwait(true) ?? throw NoInstitution();
        var result = new VerificationResult(
            draft.AgreementId,
            this.GetPrimaryKeyString(),
            ring.MessagingKid,
            draft.Valid ? Verdict.Valid : Verdict.Invalid,
            draft.Valid ? null : draft.Reason,
            Timestamps.Truncate(draft.DecidedAt));
        var signed = await SignedObject.SignAsync(result.ToContent(), Purposes.VerificationResult, ring.Messaging).ConfigureAwait(true);
        return signed.IsOk
            ? Jcs.CanonicalizeToString(signed.Value)
            : throw new InvalidOperationException($"the result for agreement {draft.AgreementId} cannot be signed: {signed.Error}");
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        _ring?.Dispose();
        _ring = null;
        return Task.CompletedTask;
    }

    private async Task<ISigner> NoteSignerAsync(string kid)
    {
        var ring = await RingAsync(refresh: false).ConfigureAwait(true) ?? throw NoInstitution();
        if (!ring.NoteKeys.ContainsKey(kid))
        {
            ring = await RingAsync(refresh: true).ConfigureAwait(true) ?? throw NoInstitution();
        }

        if (!ring.NoteKeys.TryGetValue(kid, out var key))
        {
            throw new InvalidOperationException($"institution {this.GetPrimaryKeyString()} has no note key {kid}.");
        }

        if (key.Status == KeyStatus.Revoked)
        {
            LogRevokedKey(logger, this.GetPrimaryKeyString(), kid);
            throw new InvalidOperationException($"note key {kid} of institution {this.GetPrimaryKeyString()} is revoked.");
        }

        return key.Signer;
    }

    private async Task<KeyRing?> RingAsync(bool refresh)
    {
        var now = BankingServices.Clock(ServiceProvider).GetUtcNow();
        var lifetime = BankingServices.Options(ServiceProvider).ProfileCacheLifetime;
        if (!refresh && _ring is not null && now - _loadedAt < lifetime)
        {
            return _ring;
        }

        var material = await GrainFactory.GetGrain<IInstitutionKeysGrain>(this.GetPrimaryKeyString()).GetKeyMaterial().ConfigureAwait(true);
        _ring?.Dispose();
        _ring = material is null ? null : KeyRing.Open(this.GetPrimaryKeyString(), material, NoteKeySources.Resolve(ServiceProvider));
        _loadedAt = now;
        return _ring;
    }

    private InvalidOperationException NoInstitution() => new($"institution {this.GetPrimaryKeyString()} does not exist; it has no keys to sign with.");

    [LoggerMessage(Level = LogLevel.Error, Message = "Institution {Institution} was asked to sign with its revoked note key {KeyId}")]
    private static partial void LogRevokedKey(ILogger logger, string institution, string keyId);

    /// <summary>The opened signers of one institution's key material.</summary>
    private sealed class KeyRing : IDisposable
    {
        private KeyRing(Dictionary<string, (ISigner Signer, KeyStatus Status)> noteKeys, string? activeNoteKid, ISigner messaging, string messagingKid)
        {
            NoteKeys = noteKeys;
            ActiveNoteKid = activeNoteKid;
            Messaging = messaging;
            MessagingKid = messagingKid;
        }

        public Dictionary<string, (ISigner Signer, KeyStatus Status)> NoteKeys { get; }

        public string? ActiveNoteKid { get; }

        public ISigner Messaging { get; }

        public string MessagingKid { get; }

        public static KeyRing Open(string institution, InstitutionKeyMaterial material, INoteKeySource source)
        {
            var noteKeys = new Dictionary<string, (ISigner, KeyStatus)>(StringComparer.Ordinal);
            foreach (var key in material.NoteKeys)
            {
                noteKeys[key.Kid] = (source.OpenNoteSigner(institution, key), key.Status);
            }

            var active = material.NoteKeys.LastOrDefault(k => k.Status == KeyStatus.Active)?.Kid;
            return new KeyRing(noteKeys, active, DevelopmentKeys.OpenSigner(material.MessagingPrivateJwkJson), material.MessagingKid);
        }

        public void Dispose()
        {
            foreach (var (signer, _) in NoteKeys.Values)
            {
                (signer as IDisposable)?.Dispose();
            }

            (Messaging as IDisposable)?.Dispose();
        }
    }
}
