using Microsoft.Extensions.Logging;
using OrleansSettlement.Contracts;
using OrleansSettlement.Protocol;
using OrleansSettlement.Protocol.Canonical;
using OrleansSettlement.Protocol.Messages;
using OrleansSettlement.Protocol.Signing;

namespace OrleansSettlement.Grains.Banking;

/// <summary>
/// A note at its issuer. The amount, currency and holder are kept beside the signed text so that the stored row can
/// be audited (conservation, double spending) without parsing the note.
/// </summary>
[GenerateSerializer, Alias("osettle.banking.NoteGrainState")]
public sealed class NoteGrainState
{
    /// <summary>The signed note as first issued; null until issued.</summary>
    [Id(0)]
    public string? NoteJson { get; set; }

    /// <summary>The note's content id (SHA-256 of its canonical form without <c>sig</c>).</summary>
    [Id(1)]
    public string ContentId { get; set; } = "";

    /// <summary>As written: <see cref="NoteState.Held"/> stays in the row when the holding agreement commits, which spends
    /// the note (ADR 0019); <see cref="NoteState.Spent"/> is written only when a later request finds that commit.</summary>
    [Id(2)]
    public NoteState State { get; set; }

    /// <summary>The agreement that holds or spent the note; null while outstanding.</summary>
    [Id(3)]
    public string? AgreementId { get; set; }

    [Id(4)]
    public string Currency { get; set; } = "";

    [Id(5)]
    public long AmountMinor { get; set; }

    [Id(6)]
    public string Holder { get; set; } = "";

    [Id(7)]
    public DateTimeOffset ExpiresAt { get; set; }

    /// <summary>Agreements that released the note (they were aborted or voted INVALID; whether they held it, found it
    /// outstanding or found it held by another) and when, kept for <see cref="NoteGrain.DuplicateWindow"/> so that a late copy of such an agreement's hold is refused
    /// instead of holding the note for it again.</summary>
    [Id(8)]
    public Dictionary<string, DateTimeOffset> Released { get; set; } = [];
}

/// <summary>
/// One note (key <see cref="GrainKeys.Note"/>): the single place where it is held and spent. Every change of state is
/// one durable write before the reply; a repeated request that changes nothing writes nothing.
/// </summary>
/// <remarks>
/// A note is spent by its hold (ADR 0019): a note held by agreement X is spent exactly when X commits, and the settlement
/// grain of X persists that decision once and never changes it, so S10 writes nothing here. The note learns it when it
/// next matters: whenever it is asked about while held (a view, a hold, a release, a spend), it reads X's decision once
/// per activation (<see cref="ISettlementGrain.ReadDecision"/>) and checks a COMMIT itself (<see cref="NoteCommitCheck"/>).
/// A verified COMMIT makes it spent (a request that changes state then also writes <see cref="NoteState.Spent"/>); an
/// ABORT or no decision leaves it held: only the abort path's <see cref="Release"/> makes it outstanding again, and a
/// release never takes a note whose agreement committed.
/// </remarks>
public sealed partial class NoteGrain(
    [PersistentState("note", StorageNames.GrainState)] IPersistentState<NoteGrainState> state,
    ILogger<NoteGrain> logger)
    : Grain, INoteGrain
{
    /// <summary>How long a released agreement is remembered: longer than any copy of its hold can be in flight (Orleans
    /// drops a request older than its response timeout).</summary>
    public static readonly TimeSpan DuplicateWindow = TimeSpan.FromMinutes(10);

    /// <summary>The holding agreement whose verified COMMIT this activation has read: the note is spent by it. Memory
    /// only, and safe to keep: a COMMIT is never undone, and the row names the same agreement until the note is spent.</summary>
    private string? _committedHolder;

    private NoteGrainState State => state.State;

    private bool Issued => State.NoteJson is not null;

    /// <summary>The note's state: as stored, except that a hold whose agreement committed is spent.</summary>
    private NoteState Current =>
        State.State == NoteState.Held && _committedHolder is not null && string.Equals(_committedHolder, State.AgreementId, StringComparison.Ordinal)
            ? NoteState.Spent
            : State.State;

    public async Task<Reply<NoteView>> Issue(string noteJson)
    {
        ArgumentNullException.ThrowIfNull(noteJson);
        var note = SafeJson.ParseMessage(noteJson, obj => Note.Parse(obj));
        if (!note.IsOk)
        {
            return Reply<NoteView>.Fail(note.Error);
        }

        var (issuer, serial) = GrainKeys.Split(this.GetPrimaryKeyString());
        var value = note.Value.Value;
        if (!string.Equals(value.Issuer, issuer, StringComparison.Ordinal) || !string.Equals(value.Serial, serial, StringComparison.Ordinal))
        {
            return Reply<NoteView>.Fail(ProtocolErrorCode.InvalidField, $"the note names {value.Issuer}|{value.Serial}, not this note {issuer}|{serial}.");
        }

        var contentId = SignedObject.ContentId(note.Value.Json);
        if (!contentId.IsOk)
        {
            return Reply<NoteView>.Fail(contentId.Error);
        }

        if (Issued)
        {
            return string.Equals(State.ContentId, contentId.Value, StringComparison.Ordinal)
                ? Reply<NoteView>.Ok(View())
                : Reply<NoteView>.Fail(ProtocolErrorCode.AlreadyExists, $"note {serial} of {issuer} was issued with other content.");
        }

        State.NoteJson = note.Value.ToCanonicalString();
        State.ContentId = contentId.Value;
        State.State = NoteState.Outstanding;
        State.AgreementId = null;
        State.Currency = value.Amount.Currency.Code;
        State.AmountMinor = value.Amount.AmountMinor;
        State.Holder = value.Holder;
        State.ExpiresAt = value.ExpiresAt;
        await WriteAsync().ConfigureAwait(true);
        LogIssued(logger, issuer, serial, value.Amount.AmountMinor);
        return Reply<NoteView>.Ok(View());
    }

    public async Task<NoteView?> Get()
    {
        if (!Issued)
        {
            return null;
        }

        await HolderCommittedAsync().ConfigureAwait(true);
        return View();
    }

    public async Task<Reply<NoteView>> Hold(string agreementId)
    {
        ArgumentNullException.ThrowIfNull(agreementId);
        await RecordSpendAsync().ConfigureAwait(true);
        if (Refusal(agreementId, allowOutstanding: true, allowSpentBySame: false) is { } refusal)
        {
            return refusal;
        }

        // A hold that arrives after its agreement released the note is a late copy (found by settle chaos: it left the note
        // held by an aborted agreement for good).
        if (State.Released.ContainsKey(agreementId))
        {
            return Reply<NoteView>.Fail(ProtocolErrorCode.CheckoutClosed, $"agreement {agreementId} was aborted and released this note; it cannot hold it again.");
        }

        if (State.State == NoteState.Outstanding)
        {
            State.State = NoteState.Held;
            State.AgreementId = agreementId;
            await WriteAsync().ConfigureAwait(true);
        }

        return Reply<NoteView>.Ok(View());
    }

    public async Task<Reply<NoteView>> Release(string agreementId)
    {
        ArgumentNullException.ThrowIfNull(agreementId);
        if (!Issued)
        {
            return Unknown();
        }

        // A note whose agreement committed is spent: no abort can follow that commit, so a release of it is a late or
        // mistaken one and changes nothing.
        await RecordSpendAsync().ConfigureAwait(true);

        // Recorded also when the note is outstanding: a bank part persists nothing before its holds, so an abort releases
        // every serial of the package, and a hold of this agreement that arrives afterwards (a late copy, or a second
        // activation of the bank part after a silo loss) must not take the note. And when another agreement holds it: a
        // race's loser releases the note whose hold was refused, and once the winner lets it go (it aborted too) a late copy
        // of the loser's hold must not take it (found by settle chaos). The write also keeps a stale activation, whose
        // memory says held by another while the row says held by this agreement, from answering without a change.
        var heldByIt = State.State == NoteState.Held && string.Equals(State.AgreementId, agreementId, StringComparison.Ordinal);
        if (heldByIt || (State.State != NoteState.Spent && !State.Released.ContainsKey(agreementId)))
        {
            var now = Now();
            foreach (var old in State.Released.Where(r => now - r.Value > DuplicateWindow).Select(r => r.Key).ToList())
            {
                State.Released.Remove(old);
            }

            State.Released[agreementId] = now;
            if (heldByIt)
            {
                State.State = NoteState.Outstanding;
                State.AgreementId = null;
            }

            await WriteAsync().ConfigureAwait(true);
        }

        return Reply<NoteView>.Ok(View());
    }

    public async Task<Reply<NoteView>> Spend(string agreementId)
    {
        ArgumentNullException.ThrowIfNull(agreementId);
        await RecordSpendAsync().ConfigureAwait(true);
        if (Refusal(agreementId, allowOutstanding: false, allowSpentBySame: true) is { } refusal)
        {
            return refusal;
        }

        return State.State == NoteState.Held
            ? Reply<NoteView>.Fail(ProtocolErrorCode.UnknownAgreement, $"no commit of agreement {agreementId} is known: note {GrainKeys.Split(this.GetPrimaryKeyString()).Second} stays held for it.")
            : Reply<NoteView>.Ok(View());
    }

    /// <summary>Whether the agreement that holds the note committed: one read of its settlement grain's decision, and a
    /// check of a COMMIT, per activation (a COMMIT is never undone); false when the note is not held, and while the
    /// agreement is undecided, aborted, or its decision does not verify.</summary>
    private async Task<bool> HolderCommittedAsync()
    {
        if (State.State != NoteState.Held || State.AgreementId is not { } holder)
        {
            return false;
        }

        if (string.Equals(_committedHolder, holder, StringComparison.Ordinal))
        {
            return true;
        }

        var decided = await GrainFactory.GetGrain<ISettlementGrain>(holder).ReadDecision().ConfigureAwait(true);
        if (decided is not { Decision.Kind: DecisionKind.Commit })
        {
            return false;
        }

        var issuer = GrainKeys.Split(this.GetPrimaryKeyString()).First;
        if (await NoteCommitCheck.VerifyAsync(issuer, holder, decided, Lookups).ConfigureAwait(true) is { } problem)
        {
            // A commit that does not verify spends nothing: the note stays held, as a bank part keeps its holds then.
            LogCommitRefused(logger, this.GetPrimaryKeyString(), holder, problem.WireCode, problem.Detail);
            return false;
        }

        _committedHolder = holder;
        return true;
    }

    /// <summary>Before a request that may change the note: a hold whose agreement committed is written as spent, so that
    /// the request is answered from the note's real state and later activations need no read. Off the checkout's path:
    /// only a request about a held note reads, and only a committed one writes.</summary>
    private async Task RecordSpendAsync()
    {
        if (Issued && await HolderCommittedAsync().ConfigureAwait(true))
        {
            State.State = NoteState.Spent;
            await WriteAsync().ConfigureAwait(true);
            LogSpent(logger, this.GetPrimaryKeyString(), State.AgreementId!);
        }
    }

    /// <summary>Why <paramref name="agreementId"/> may not hold or spend the note now; null when it may.</summary>
    private Reply<NoteView>? Refusal(string agreementId, bool allowOutstanding, bool allowSpentBySame)
    {
        if (!Issued)
        {
            return Unknown();
        }

        var serial = GrainKeys.Split(this.GetPrimaryKeyString()).Second;
        var same = string.Equals(State.AgreementId, agreementId, StringComparison.Ordinal);
        return State.State switch
        {
            NoteState.Outstanding when allowOutstanding => null,
            NoteState.Outstanding => Reply<NoteView>.Fail(ProtocolErrorCode.UnknownAgreement, $"note {serial} is not held for agreement {agreementId}."),
            NoteState.Held when same => null,
            NoteState.Held => Reply<NoteView>.Fail(ProtocolErrorCode.NoteHeldElsewhere, $"note {serial} is held for another agreement."),
            NoteState.Spent when same && allowSpentBySame => null,
            _ => Reply<NoteView>.Fail(ProtocolErrorCode.NoteAlreadySpent, $"note {serial} is already spent."),
        };
    }

    private Reply<NoteView> Unknown() =>
        Reply<NoteView>.Fail(ProtocolErrorCode.UnknownNote, $"note {GrainKeys.Split(this.GetPrimaryKeyString()).Second} was never issued by {GrainKeys.Split(this.GetPrimaryKeyString()).First}.");

    private NoteView View() => new(State.NoteJson!, Current, State.AgreementId);

    private SiloBankPartLookups Lookups => new(GrainFactory, ServiceProvider);

    private DateTimeOffset Now() => BankingServices.Clock(ServiceProvider).GetUtcNow();

    private async Task WriteAsync()
    {
        await state.WriteOrReloadAsync(this).ConfigureAwait(true);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Note {Issuer}/{Serial} issued for {AmountMinor}")]
    private static partial void LogIssued(ILogger logger, string issuer, string serial, long amountMinor);

    [LoggerMessage(Level = LogLevel.Information, Message = "Note {Note} recorded as spent: agreement {AgreementId}, which held it, committed")]
    private static partial void LogSpent(ILogger logger, string note, string agreementId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Note {Note}: the commit of agreement {AgreementId} does not verify ({Code}): {Detail}; the note stays held")]
    private static partial void LogCommitRefused(ILogger logger, string note, string agreementId, string code, string detail);
}
