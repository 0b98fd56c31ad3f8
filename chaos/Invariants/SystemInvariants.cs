using System.Text.Json.Nodes;
using Azure.Data.Tables;
using Orleans.Storage;
using OrleansSettlement.Contracts;
using OrleansSettlement.Grains.Banking;
using OrleansSettlement.Grains.Checkout;
using OrleansSettlement.Protocol.Crypto;
using OrleansSettlement.Protocol.Messages;

namespace OrleansSettlement.Chaos.Invariants;

/// <summary>
/// The invariants of PROTOCOL-CHOICES.md, checked from the rows Azure Table storage holds (decoded with the silo's own
/// grain storage serializer), never from the grains' own totals or answers. Every test of the whole system checks them at
/// a quiet point (no checkout in flight) after its scenario, and the chaos runner after every scenario (on that
/// scenario's rows: <see cref="StoredState.ReadAsync(string, IEnumerable{string})"/>) and at the end of a run (on all).
/// </summary>
/// <remarks>
/// A note is spent when its row says spent, or says held by an agreement whose settlement row holds COMMIT (ADR 0019: a
/// note is spent by its hold; the commit writes nothing at the note). Every other note is unspent: outstanding, or held
/// by an agreement not (yet) committed.
/// 1. Conservation: per currency, the sum of account balances and unspent notes (held ones included) equals deposits
///    minus withdrawals at the edge; interbank positions net to zero; and per institution, its liabilities minus its
///    edge money equal its net interbank position.
/// 2. No note is spent twice or held by two agreements: each note row has one state and one agreement, each spent note
///    is listed by exactly one settling bank part of its issuer (that of the agreement the row names), every serial a
///    settling bank part lists is spent by its agreement (never outstanding again, nor held by another), and no settling
///    bank parts share a serial; a note still held by an aborted agreement is a violation (the abort releases it).
/// 3. All or nothing: a committed agreement is settled at every institution (every planned change note issued, the payee
///    account credited exactly the total, each payer paid exactly its share); an aborted one is settled nowhere (no note
///    spent, no change note issued, no credit) and holds nothing.
/// A bank part settles when its agreement's settlement row holds COMMIT and the part's row holds its VALID result with
/// the S10 plan (ADR 0013: the commit writes nothing at the bank part; rows of before it record Settled). Its effects are
/// then checked in the note and account rows themselves.
/// 4. Nothing settles without every payer's valid signatures: for each committed agreement the acceptances, requests,
///    notes, challenges and responses verify again here, and so does every institution's signed VALID result.
/// </remarks>
public static class SystemInvariants
{
    /// <summary>Checks every row of the grain state table.</summary>
    public static async Task<InvariantReport> CheckAsync(string connectionString, IGrainStorageSerializer serializer)
    {
        var rows = await StoredState.ReadAsync(connectionString).ConfigureAwait(false);
        return Check(new StoredState(rows, serializer));
    }

    /// <summary>Checks the rows given: the whole table, or a closed world of parties (every institution, store and
    /// agreement its checkouts involve), such as one chaos scenario's.</summary>
    public static InvariantReport Check(StoredState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var violations = new List<string>();
        CheckConservation(state, violations);
        CheckNotes(state, violations);
        CheckAllOrNothing(state, violations);
        CheckSignatures(state, violations);
        return new InvariantReport(
            violations,
            state.Settlements.Count(s => s.Value.Decision?.Kind == DecisionKind.Commit),
            state.Settlements.Count(s => s.Value.Decision?.Kind == DecisionKind.Abort),
            state.Notes.Count);
    }

    private static void CheckConservation(StoredState state, List<string> violations)
    {
        foreach (var account in state.Accounts.Where(a => a.Value.Operations.Any(o => !o.Done)))
        {
            violations.Add($"account {account.Key} has a withdrawal in flight (not a quiet point).");
        }

        var currencies = state.Accounts.Values.Select(a => a.Currency).Concat(state.Notes.Values.Select(n => n.Currency)).Distinct(StringComparer.Ordinal);
        foreach (var currency in currencies)
        {
            long edge = 0, liabilities = 0, positions = 0;
            var byBank = new Dictionary<string, (long Edge, long Liabilities, long Positions)>(StringComparer.Ordinal);
            void Add(string bank, long e, long l, long p)
            {
                var current = byBank.GetValueOrDefault(bank);
                byBank[bank] = (checked(current.Edge + e), checked(current.Liabilities + l), checked(current.Positions + p));
            }

            foreach (var (key, account) in state.Accounts.Where(a => a.Value.Currency == currency))
            {
                var bank = GrainKeys.Split(key).First;
                edge = checked(edge + account.DepositedMinor - account.WithdrawnMinor);
                liabilities = checked(liabilities + account.BalanceMinor);
                Add(bank, account.DepositedMinor - account.WithdrawnMinor, account.BalanceMinor, 0);
            }

            foreach (var (key, note) in state.Notes.Where(n => n.Value.Currency == currency && !IsSpent(state, n.Value)))
            {
                liabilities = checked(liabilities + note.AmountMinor);
                Add(GrainKeys.Split(key).First, 0, note.AmountMinor, 0);
            }

            foreach (var (key, part) in state.BankParts.Where(p => p.Value.Currency == currency && Settles(state, p.Key, p.Value)))
            {
                var sum = part.Positions.Sum(p => p.AmountMinor);
                positions = checked(positions + sum);
                Add(GrainKeys.Split(key).First, 0, 0, sum);
            }

            if (edge != liabilities)
            {
                violations.Add($"conservation ({currency}): balances + unspent notes = {liabilities}, deposits - withdrawals = {edge}.");
            }

            if (positions != 0)
            {
                violations.Add($"interbank positions ({currency}) net to {positions}, not 0.");
            }

            foreach (var (bank, totals) in byBank)
            {
                if (totals.Liabilities - totals.Edge != totals.Positions)
                {
                    violations.Add($"conservation at {bank} ({currency}): liabilities {totals.Liabilities} - edge {totals.Edge} != net interbank position {totals.Positions}.");
                }
            }
        }
    }

    private static void CheckNotes(StoredState state, List<string> violations)
    {
        var spentBy = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, part) in state.BankParts.Where(p => Settles(state, p.Key, p.Value)))
        {
            var (bank, agreementId) = GrainKeys.Split(key);
            foreach (var serial in part.Serials)
            {
                var noteKey = GrainKeys.Note(bank, serial);
                if (!spentBy.TryAdd(noteKey, agreementId))
                {
                    violations.Add($"note {noteKey} is spent by agreements {spentBy[noteKey]} and {agreementId}.");
                }
            }
        }

        foreach (var (key, note) in state.Notes)
        {
            var settledBy = spentBy.GetValueOrDefault(key);
            if (note.State == NoteState.Held && note.AgreementId is null)
            {
                violations.Add($"note {key} is held by no agreement.");
            }
            else if (IsSpent(state, note))
            {
                if (settledBy != note.AgreementId)
                {
                    violations.Add($"note {key} is spent by {note.AgreementId} but no settling bank part of that agreement spent it.");
                }
            }
            else if (settledBy is not null)
            {
                violations.Add($"note {key} is {note.State}{(note.AgreementId is null ? "" : $" by {note.AgreementId}")} although agreement {settledBy} settled by spending it.");
            }
            else if (note.State == NoteState.Held && state.Settlements.TryGetValue(note.AgreementId!, out var s) && s.Decision is not null)
            {
                violations.Add($"note {key} is still held by agreement {note.AgreementId}, which is decided ({s.Decision.Kind}).");
            }
        }
    }

    private static void CheckAllOrNothing(StoredState state, List<string> violations)
    {
        foreach (var (agreementId, settlement) in state.Settlements)
        {
            if (settlement.Start is not { } start || settlement.Decision is not { } decision)
            {
                continue;
            }

            var parts = start.Institutions.ToDictionary(i => i, i => state.BankParts.GetValueOrDefault(GrainKeys.BankAgreement(i, agreementId)), StringComparer.Ordinal);
            if (decision.Kind == DecisionKind.Commit)
            {
                var agreement = Agreement.Parse(JsonNode.Parse(start.AgreementJson)).Value.Value;
                foreach (var (institution, part) in parts)
                {
                    if (part is null || !Settles(state, GrainKeys.BankAgreement(institution, agreementId), part))
                    {
                        violations.Add($"agreement {agreementId} committed but {institution} has not settled (stage {part?.Stage.ToString() ?? "missing"}).");
                        continue;
                    }

                    foreach (var change in part.Changes)
                    {
                        var note = state.Notes.GetValueOrDefault(GrainKeys.Note(institution, change.Serial));
                        if (note is null || note.AmountMinor != change.AmountMinor || note.Currency != part.Currency)
                        {
                            violations.Add($"agreement {agreementId} committed but {institution} did not issue its planned change note {change.Serial}.");
                        }
                    }

                    foreach (var payer in part.Payers)
                    {
                        var change = part.Changes.Where(c => c.Wallet == payer.Wallet).Sum(c => c.AmountMinor);
                        var share = agreement.FindParticipant(payer.Wallet)?.Share.AmountMinor;
                        if (payer.NotesMinor - change != share)
                        {
                            violations.Add($"agreement {agreementId}: payer {payer.Wallet} paid {payer.NotesMinor - change}, its share is {share}.");
                        }
                    }
                }

                var payeePart = parts.GetValueOrDefault(agreement.Payee.Institution);
                if (payeePart is null || payeePart.CreditMinor != agreement.Total.AmountMinor)
                {
                    violations.Add($"agreement {agreementId}: the store was credited {payeePart?.CreditMinor}, not the total {agreement.Total.AmountMinor}.");
                }

                var payeeAccount = state.Accounts.GetValueOrDefault(GrainKeys.Account(agreement.Payee.Institution, agreement.Payee.Account));
                var credit = payeeAccount is null ? null : AccountGrain.FindCredit(payeeAccount, agreementId);
                if (credit is null ? settlement.Stage != SettlementStage.Completed : credit.AmountMinor != agreement.Total.AmountMinor)
                {
                    violations.Add($"agreement {agreementId}: the payee account's row shows no credit of the total {agreement.Total.AmountMinor} for it.");
                }

                var paidByPayerBanks = parts.Values.Where(p => p is not null).SelectMany(p => p!.Payers).Sum(p => p.ShareMinor);
                if (paidByPayerBanks != agreement.Total.AmountMinor)
                {
                    violations.Add($"agreement {agreementId}: payer banks settled {paidByPayerBanks} in shares, the total is {agreement.Total.AmountMinor}.");
                }
            }
            else
            {
                foreach (var (institution, part) in parts.Where(p => p.Value is { Stage: BankPartProgress.Settled or BankPartProgress.Settling }))
                {
                    violations.Add($"agreement {agreementId} aborted but {institution} settled ({part!.Stage}).");
                }

                foreach (var (key, note) in state.Notes.Where(n => n.Value.AgreementId == agreementId && n.Value.State != NoteState.Outstanding))
                {
                    violations.Add($"agreement {agreementId} aborted but note {key} is {note.State} by it.");
                }
            }
        }

        // Parts of agreements that did not commit (aborted or undecided) have effects nowhere, whatever plan they hold.
        foreach (var (key, part) in state.BankParts.Where(p => !IsCommitted(state, GrainKeys.Split(p.Key).Second)))
        {
            var (bank, agreementId) = GrainKeys.Split(key);
            foreach (var change in part.Changes.Where(c => state.Notes.ContainsKey(GrainKeys.Note(bank, c.Serial))))
            {
                violations.Add($"bank part {key} issued change note {change.Serial} without a COMMIT decision of the settlement grain.");
            }

            if (part.CreditMinor > 0 && state.Accounts.GetValueOrDefault(GrainKeys.Account(bank, part.PayeeAccount)) is { } payee && AccountGrain.FindCredit(payee, agreementId) is not null)
            {
                violations.Add($"bank part {key} credited the payee account without a COMMIT decision of the settlement grain.");
            }
        }

        foreach (var (key, part) in state.BankParts.Where(p => p.Value.Stage is BankPartProgress.Settled or BankPartProgress.Settling))
        {
            var agreementId = GrainKeys.Split(key).Second;
            if (!state.Settlements.TryGetValue(agreementId, out var settlement) || settlement.Decision?.Kind != DecisionKind.Commit)
            {
                violations.Add($"bank part {key} settled without a COMMIT decision of the settlement grain.");
            }
            else if (part.Stage == BankPartProgress.Settling)
            {
                violations.Add($"bank part {key} is still settling (not a quiet point).");
            }
        }
    }

    /// <summary>Spent by its row, or held by an agreement whose settlement row holds COMMIT (ADR 0019).</summary>
    private static bool IsSpent(StoredState state, NoteGrainState note) =>
        note.State == NoteState.Spent || (note.State == NoteState.Held && note.AgreementId is { } holder && IsCommitted(state, holder));

    private static bool IsCommitted(StoredState state, string agreementId) =>
        state.Settlements.TryGetValue(agreementId, out var settlement) && settlement.Decision?.Kind == DecisionKind.Commit;

    /// <summary>Whether the part's plan counts: its agreement committed and the part holds its VALID result with the plan
    /// (or, written before ADR 0013, recorded Settled).</summary>
    private static bool Settles(StoredState state, string key, BankAgreementState part) =>
        part.Stage == BankPartProgress.Settled
        || (part.Stage is BankPartProgress.VotedValid or BankPartProgress.Settling && part.ResultJson is not null && IsCommitted(state, GrainKeys.Split(key).Second));

    private static void CheckSignatures(StoredState state, List<string> violations)
    {
        foreach (var (agreementId, settlement) in state.Settlements.Where(s => s.Value.Decision?.Kind == DecisionKind.Commit))
        {
            var start = settlement.Start!;
            var decision = settlement.Decision!;
            var agreement = Agreement.Parse(JsonNode.Parse(start.AgreementJson));
            if (!agreement.IsOk || agreement.Value.Id != agreementId)
            {
                violations.Add($"agreement {agreementId}: the stored agreement does not parse to its id.");
                continue;
            }

            // Every institution's signed VALID result, checked with its published messaging key.
            var voted = new HashSet<string>(StringComparer.Ordinal);
            foreach (var resultJson in decision.ResultJsons)
            {
                var result = VerificationResult.Parse(JsonNode.Parse(resultJson));
                if (!result.IsOk || !state.Institutions.TryGetValue(result.Value.Value.Institution, out var institution) || institution.MessagingKey is null)
                {
                    violations.Add($"agreement {agreementId}: a committed result does not parse or names an unknown institution.");
                    continue;
                }

                var key = PublicJwk.Parse(institution.MessagingKey.PublicJwkJson).Value;
                if (result.Value.Value.Verdict != Verdict.Valid || result.Value.Value.AgreementId != agreementId || result.Value.VerifySignature(key, Purposes.VerificationResult) is not null)
                {
                    violations.Add($"agreement {agreementId}: the result of {result.Value.Value.Institution} is not a valid signed VALID for it.");
                }

                voted.Add(result.Value.Value.Institution);
            }

            if (!voted.SetEquals(start.Institutions))
            {
                violations.Add($"agreement {agreementId}: committed with results of [{string.Join(", ", voted)}], not of every institution [{string.Join(", ", start.Institutions)}].");
            }

            // Every payer: its acceptance (from the checkout), request, notes and its response to a store-signed challenge.
            var checkout = state.Checkouts.GetValueOrDefault(GrainKeys.Checkout(start.Store, start.CheckoutId));
            var store = state.Stores.GetValueOrDefault(start.Store);
            if (checkout is null || store is null)
            {
                violations.Add($"agreement {agreementId}: its checkout or store row is missing.");
                continue;
            }

            var storeKey = PublicJwk.Parse(store.ChallengePublicJwk).Value;
            foreach (var participant in agreement.Value.Value.Participants)
            {
                var problem = CheckPayer(state, agreement.Value, participant, start, checkout, storeKey, decision.DecidedAt);
                if (problem is not null)
                {
                    violations.Add($"agreement {agreementId}, payer {participant.Wallet}: {problem}");
                }
            }
        }
    }

    private static string? CheckPayer(StoredState state, Parsed<Agreement> agreement, Participant participant, SettlementStart start, CheckoutState checkout, PublicJwk storeKey, DateTimeOffset decidedAt)
    {
        var session = checkout.Payers.FirstOrDefault(p => p.Wallet == participant.Wallet);
        var package = start.Payers.FirstOrDefault(p => p.Wallet == participant.Wallet);
        if (session is null || package is null)
        {
            return "no stored contribution.";
        }

        var acceptance = Acceptance.Parse(JsonNode.Parse(session.AcceptanceJson));
        if (!acceptance.IsOk || acceptance.Value.Value.AgreementId != agreement.Id || acceptance.Value.Value.Wallet != participant.Wallet
            || acceptance.Value.VerifySignature(participant.Key, Purposes.Acceptance) is not null)
        {
            return "its acceptance of the agreement does not verify.";
        }

        var notes = new List<Note>();
        foreach (var noteJson in package.NoteJsons)
        {
            var note = Note.Parse(JsonNode.Parse(noteJson));
            if (!note.IsOk || !state.Institutions.TryGetValue(note.Value.Value.Issuer, out var issuer))
            {
                return "a note does not parse or names an unknown issuer.";
            }

            var key = issuer.NoteKeys.FirstOrDefault(k => k.Kid == note.Value.Value.IssuerKeyId);
            if (key is null || Note.Check(note.Value, note.Value.Value.Issuer, PublicJwk.Parse(key.PublicJwkJson).Value, participant.Wallet, decidedAt) is { } bad)
            {
                return $"note {note.Value.Value.Serial} does not verify.";
            }

            notes.Add(note.Value.Value);
        }

        var request = RequestInfo.Parse(JsonNode.Parse(package.RequestJson));
        if (!request.IsOk || RequestInfo.Check(request.Value, agreement, notes) is not null)
        {
            return "its request does not verify against the agreement and its notes.";
        }

        var challenge = Challenge.Parse(JsonNode.Parse(package.ChallengeJson));
        var response = Response.Parse(JsonNode.Parse(package.ResponseJson));
        if (!challenge.IsOk || !response.IsOk || challenge.Value.Value.AgreementId != agreement.Id
            || Response.Check(response.Value, challenge.Value, storeKey, participant, request.Value.Value.Notes, receivedAt: null) is not null)
        {
            return "its response to the store's challenge does not verify.";
        }

        return null;
    }
}

/// <summary>What a check found: every violation as a sentence, and how much it looked at.</summary>
public sealed record InvariantReport(IReadOnlyList<string> Violations, int Committed, int Aborted, int Notes);

/// <summary>Every grain's stored state, decoded from the grain state table's rows.</summary>
public sealed class StoredState
{
    public StoredState(IReadOnlyList<TableEntity> rows, IGrainStorageSerializer serializer)
    {
        Accounts = Decode<AccountState>(rows, serializer, "account");
        Notes = Decode<NoteGrainState>(rows, serializer, "note");
        BankParts = Decode<BankAgreementState>(rows, serializer, "bankAgreement");
        Institutions = Decode<InstitutionState>(rows, serializer, "institution");
        Settlements = Decode<SettlementState>(rows, serializer, "settlement");
        Checkouts = Decode<CheckoutState>(rows, serializer, "checkout");
        Stores = Decode<StoreState>(rows, serializer, "store");
    }

    public Dictionary<string, AccountState> Accounts { get; }

    public Dictionary<string, NoteGrainState> Notes { get; }

    public Dictionary<string, BankAgreementState> BankParts { get; }

    public Dictionary<string, InstitutionState> Institutions { get; }

    public Dictionary<string, SettlementState> Settlements { get; }

    public Dictionary<string, CheckoutState> Checkouts { get; }

    public Dictionary<string, StoreState> Stores { get; }

    public static async Task<IReadOnlyList<TableEntity>> ReadAsync(string connectionString)
    {
        var table = new TableServiceClient(connectionString).GetTableClient(StorageNames.GrainStateTable);
        var rows = new List<TableEntity>();
        await foreach (var row in table.QueryAsync<TableEntity>(maxPerPage: 1000).ConfigureAwait(false))
        {
            rows.Add(row);
        }

        return rows;
    }

    /// <summary>
    /// The rows whose partition key starts with one of <paramref name="partitionKeyPrefixes"/>: one query of range filters
    /// (each from the prefix up to the prefix and "~", above every character a key holds). A prefix is
    /// "{service id}_{grain type}_{start of the grain key}".
    /// </summary>
    public static async Task<IReadOnlyList<TableEntity>> ReadAsync(string connectionString, IEnumerable<string> partitionKeyPrefixes)
    {
        ArgumentNullException.ThrowIfNull(partitionKeyPrefixes);
        var ranges = partitionKeyPrefixes.Distinct(StringComparer.Ordinal)
            .Select(prefix => "(" + TableClient.CreateQueryFilter($"PartitionKey ge {prefix} and PartitionKey lt {prefix + "~"}") + ")")
            .ToList();
        var rows = new List<TableEntity>();
        if (ranges.Count == 0)
        {
            return rows;
        }

        var table = new TableServiceClient(connectionString).GetTableClient(StorageNames.GrainStateTable);
        await foreach (var row in table.QueryAsync<TableEntity>(string.Join(" or ", ranges), maxPerPage: 1000).ConfigureAwait(false))
        {
            rows.Add(row);
        }

        return rows;
    }

    /// <summary>
    /// The rows of one state name (the row key), keyed by grain key. Orleans' Azure Table provider writes the partition
    /// key as the service id and the grain id joined by '_' (the grain id's '/' also becomes '_'), and the state in the
    /// binary columns Data, Data1..Data14.
    /// </summary>
    public static Dictionary<string, T> Decode<T>(IEnumerable<TableEntity> rows, IGrainStorageSerializer serializer, string stateName)
    {
        var result = new Dictionary<string, T>(StringComparer.Ordinal);
        foreach (var row in rows.Where(r => string.Equals(r.RowKey, stateName, StringComparison.Ordinal)))
        {
            var data = new List<byte>();
            foreach (var column in new[] { "Data" }.Concat(Enumerable.Range(1, 14).Select(i => "Data" + i)))
            {
                if (row.TryGetValue(column, out var chunk) && chunk is byte[] bytes)
                {
                    data.AddRange(bytes);
                }
            }

            if (data.Count == 0)
            {
                continue;
            }

            result[GrainKeyOf(row)] = serializer.Deserialize<T>(new BinaryData(data.ToArray()))
                ?? throw new InvalidOperationException($"the {stateName} row {row.PartitionKey} holds no state.");
        }

        return result;
    }

    /// <summary>The grain key of a row: "{service id}_{grain type}_{grain key}", where neither the service id nor a grain
    /// type holds '_' (a key may).</summary>
    public static string GrainKeyOf(TableEntity row)
    {
        var parts = row.PartitionKey.Split('_', 3);
        return parts.Length == 3 ? parts[2] : throw new InvalidOperationException($"unexpected partition key {row.PartitionKey}");
    }
}
