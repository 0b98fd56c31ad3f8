using System.Text.Json.Nodes;
using OrleansSettlement.Contracts;
using OrleansSettlement.Grains.Banking;
using OrleansSettlement.Protocol.Canonical;
using OrleansSettlement.Protocol.Messages;
using OrleansSettlement.Protocol.Model;

namespace OrleansSettlement.Service.Tests.Banking;

/// <summary>S10 at each bank, on a decision built here from the banks' own signed results.</summary>
[Collection(BankingCollection.Name)]
public sealed class BankAgreementSettleTests(BankingFixture fixture)
{
    private readonly BankingKit _kit = new(fixture.Client);

    [Fact]
    public async Task Decide_CommitTwice_SpendsMintsChangeOnceAndCreditsTheTotalOnce()
    {
        using var payment = await GroupPayment.CreateAsync(_kit);
        var commit = await payment.VerifyAllAndCommitAsync();

        await payment.DecideAllAsync(commit);
        await payment.DecideAllAsync(commit);

        await WaitSettledAsync(payment);
        foreach (var bank in payment.Institutions)
        {
            await payment.Part(bank).Decide(commit);
        }

        await BankingKit.EventuallyAsync(async () => (await payment.Settlement.GetAcknowledgements()).Count >= 9, "every acknowledgement");

        // Every presented note is spent for this agreement: its row still says held by it (the commit wrote nothing at the
        // note, ADR 0019), and the note answers spent, reading the decision the settlement grain persisted.
        var noteRows = await StoredRows.ReadAsync(fixture.StorageConnectionString);
        foreach (var payer in payment.Payers)
        {
            foreach (var note in payer.Notes)
            {
                var row = StoredRows.Single<NoteGrainState>(fixture.StorageSerializer, noteRows, GrainKeys.Note(payer.Bank, BankingKit.ParseNote(note).Serial));
                Assert.Equal(NoteState.Held, row.State);
                Assert.Equal(payment.AgreementId, row.AgreementId);
            }
        }

        foreach (var payer in payment.Payers)
        {
            foreach (var note in payer.Notes)
            {
                var view = await _kit.Note(payer.Bank, BankingKit.ParseNote(note).Serial).Get();
                Assert.Equal(NoteState.Spent, view!.State);
                Assert.Equal(payment.AgreementId, view.AgreementId);
            }
        }

        // Alice gets one change note of 300 from bank A, outstanding, whatever the number of deliveries.
        var partA = await payment.Part(payment.BankA).Get();
        var change = BankingKit.ParseNote(Assert.Single(partA.ChangeNoteJsons));
        Assert.Equal(300, change.Amount.AmountMinor);
        Assert.Equal(payment.Alice.Wallet, change.Holder);
        Assert.Equal(payment.BankA, change.Issuer);
        Assert.Equal(NoteState.Outstanding, (await _kit.Note(payment.BankA, change.Serial).Get())!.State);
        var received = await _kit.Grains.GetGrain<IBankingTestWallet>(payment.Alice.Wallet).GetReceived();
        Assert.Equal([change.Serial], received.Select(r => BankingKit.ParseNote(r).Serial).Where(s => s == change.Serial).Distinct());
        Assert.Empty((await payment.Part(payment.BankB).Get()).ChangeNoteJsons);

        // The store is paid the total exactly once.
        Assert.Equal(payment.TotalMinor, (await _kit.Account(payment.BankC, payment.StoreAccount).Get())!.BalanceMinor);

        // Each bank acknowledged with its own payers' lines.
        var acks = await payment.Settlement.GetAcknowledgements();
        Assert.All(acks, a => Assert.Equal(DecisionKind.Commit, a.Kind));
        var lineA = acks.First(a => a.Institution == payment.BankA).Payers.Single(l => l.Wallet == payment.Alice.Wallet);
        Assert.Equal(700, lineA.PaidMinor);
        Assert.Equal(300, lineA.ChangeMinor);
        Assert.Equal(partA.ChangeNoteJsons, lineA.ChangeNoteJsons);
        Assert.Empty(acks.First(a => a.Institution == payment.BankC).Payers);
    }

    [Fact]
    public async Task Verify_PersistsTheWholePlanWithTheValidResult_TheCommitCarriesItOutWithoutAWrite()
    {
        using var payment = await GroupPayment.CreateAsync(_kit);
        var commit = await payment.VerifyAllAndCommitAsync();

        // Before any decision: each VALID result is stored with the whole S10 plan, in the one write of S8.
        var voted = await StoredRows.ReadAsync(fixture.StorageConnectionString);
        var positions = new List<(string Bank, string Counterparty, long Amount)>();
        foreach (var bank in payment.Institutions)
        {
            var state = StoredRows.Single<BankAgreementState>(fixture.StorageSerializer, voted, GrainKeys.BankAgreement(bank, payment.AgreementId));
            Assert.Equal(BankPartProgress.VotedValid, state.Stage);
            Assert.True(state.Planned);
            Assert.NotNull(state.ResultJson);
            positions.AddRange(state.Positions.Select(p => (bank, p.Counterparty, p.AmountMinor)));
        }

        await payment.DecideAllAsync(commit);

        await WaitSettledAsync(payment);

        Assert.Equal(0, positions.Sum(p => p.Amount));
        Assert.Contains((payment.BankA, payment.BankC, -1200L), positions);
        Assert.Contains((payment.BankB, payment.BankC, -500L), positions);
        Assert.Contains((payment.BankC, payment.BankA, 1200L), positions);
        Assert.Contains((payment.BankC, payment.BankB, 500L), positions);

        // The commit wrote nothing at the bank parts: the rows are those of S8, and the change note minted is the planned one.
        var rows = await StoredRows.ReadAsync(fixture.StorageConnectionString);
        foreach (var bank in payment.Institutions)
        {
            var key = GrainKeys.BankAgreement(bank, payment.AgreementId);
            var before = StoredRows.Single<BankAgreementState>(fixture.StorageSerializer, voted, key);
            var after = StoredRows.Single<BankAgreementState>(fixture.StorageSerializer, rows, key);
            Assert.Equal(BankPartProgress.VotedValid, after.Stage);
            Assert.Equal(before.Changes.Select(c => c.Serial), after.Changes.Select(c => c.Serial));
        }

        var planA = StoredRows.Single<BankAgreementState>(fixture.StorageSerializer, rows, GrainKeys.BankAgreement(payment.BankA, payment.AgreementId));
        Assert.Equal(3, planA.Serials.Count);
        var changePlan = Assert.Single(planA.Changes);
        Assert.Equal(300, changePlan.AmountMinor);
        Assert.Equal(BankingKit.ParseNote(Assert.Single((await payment.Part(payment.BankA).Get()).ChangeNoteJsons)).Serial, changePlan.Serial);
        Assert.Equal(payment.TotalMinor, StoredRows.Single<BankAgreementState>(fixture.StorageSerializer, rows, GrainKeys.BankAgreement(payment.BankC, payment.AgreementId)).CreditMinor);
    }

    [Fact]
    public async Task Decide_Commit_ConservesMoneyInTheStoredRows()
    {
        using var payment = await GroupPayment.CreateAsync(_kit);
        var commit = await payment.VerifyAllAndCommitAsync();
        await payment.DecideAllAsync(commit);

        await WaitSettledAsync(payment);

        // Per institution and over all three: balances + outstanding and held notes = deposits - withdrawals at the edge,
        // where a note held by this agreement, which committed, is spent (ADR 0019).
        var rows = await StoredRows.ReadAsync(fixture.StorageConnectionString);
        long liabilities = 0, edge = 0;
        foreach (var bank in payment.Institutions)
        {
            var accounts = StoredRows.All<AccountState>(fixture.StorageSerializer, rows, "account", bank + "|");
            var notes = StoredRows.All<NoteGrainState>(fixture.StorageSerializer, rows, "note", bank + "|");
            liabilities += accounts.Sum(a => a.BalanceMinor) + notes.Where(n => n.State == NoteState.Outstanding || (n.State == NoteState.Held && n.AgreementId != payment.AgreementId)).Sum(n => n.AmountMinor);
            edge += accounts.Sum(a => a.DepositedMinor - a.WithdrawnMinor);
        }

        Assert.Equal(15000, edge);
        Assert.Equal(edge, liabilities);
    }

    [Fact]
    public async Task Decide_WalletUnreachableAtFirst_RetriesFromThePlanAndMintsChangeOnce()
    {
        using var payment = await GroupPayment.CreateAsync(_kit);
        var commit = await payment.VerifyAllAndCommitAsync();
        await _kit.Grains.GetGrain<IBankingTestWallet>(payment.Alice.Wallet).FailNextReceives(3);

        await payment.Settlement.Persist(payment.AgreementJson, commit);
        await payment.Part(payment.BankA).Decide(commit);

        await BankingKit.EventuallyAsync(async () => (await payment.Part(payment.BankA).Get()).Stage == BankPartStage.Settled, "bank A settled by its retries");
        var change = BankingKit.ParseNote(Assert.Single((await payment.Part(payment.BankA).Get()).ChangeNoteJsons));
        var received = await _kit.Grains.GetGrain<IBankingTestWallet>(payment.Alice.Wallet).GetReceived();
        Assert.Single(received, r => BankingKit.ParseNote(r).Serial == change.Serial);
        Assert.Single(await payment.Settlement.GetAcknowledgements());
    }

    [Fact]
    public async Task Decide_CommitMissingAResult_SettlesNothingAndKeepsTheHolds()
    {
        using var payment = await GroupPayment.CreateAsync(_kit);
        var commit = await payment.VerifyAllAndCommitAsync();
        var partial = commit with { ResultJsons = commit.ResultJsons.Take(2).ToList() };

        await AssertNotSettledAsync(payment, partial);
    }

    [Fact]
    public async Task Decide_CommitWithATamperedResult_SettlesNothingAndKeepsTheHolds()
    {
        using var payment = await GroupPayment.CreateAsync(_kit);
        var commit = await payment.VerifyAllAndCommitAsync();
        var tampered = JsonNode.Parse(commit.ResultJsons[0])!.AsObject();
        tampered["decidedAt"] = Timestamps.Format(BankingKit.Now().AddSeconds(1));
        var forged = commit with { ResultJsons = [Jcs.CanonicalizeToString(tampered), .. commit.ResultJsons.Skip(1)] };

        await AssertNotSettledAsync(payment, forged);
    }

    [Fact]
    public async Task Decide_CommitWithAnInvalidResult_SettlesNothing()
    {
        using var payment = await GroupPayment.CreateAsync(_kit);
        var request = await payment.RequestAsync();
        var valid = new List<string>();
        foreach (var bank in new[] { payment.BankA, payment.BankC })
        {
            valid.Add((await payment.VerifyAsync(bank, request)).ResultJson!);
        }

        var invalid = (await payment.VerifyAsync(payment.BankB, request with { Institutions = [payment.BankB] })).ResultJson!;
        Assert.Equal(Verdict.Invalid, VerificationResult.Parse(JsonNode.Parse(invalid)).Value.Value.Verdict);
        var commit = new SettlementDecision(payment.AgreementId, DecisionKind.Commit, [.. valid, invalid], null, DateTimeOffset.UtcNow);

        await AssertNotSettledAsync(payment, commit);
    }

    [Fact]
    public async Task Decide_Abort_ReleasesEveryHoldAndAcknowledges()
    {
        using var payment = await GroupPayment.CreateAsync(_kit);
        await payment.VerifyAllAndCommitAsync();
        var abort = new SettlementDecision(payment.AgreementId, DecisionKind.Abort, [], "vote_timeout", DateTimeOffset.UtcNow);

        foreach (var bank in payment.Institutions)
        {
            await payment.Part(bank).Decide(abort);
        }

        await BankingKit.EventuallyAsync(
            async () => (await Task.WhenAll(payment.Institutions.Select(b => payment.Part(b).Get()))).All(v => v.Stage == BankPartStage.Released),
            "every bank released");
        foreach (var payer in payment.Payers)
        {
            foreach (var note in payer.Notes)
            {
                Assert.Equal(NoteState.Outstanding, await payment.NoteStateAsync(payer.Bank, note));
            }
        }

        Assert.Equal(0, (await _kit.Account(payment.BankC, payment.StoreAccount).Get())!.BalanceMinor);
        await BankingKit.EventuallyAsync(async () => (await payment.Settlement.GetAcknowledgements()).Count == 3, "three acknowledgements");
        Assert.All(await payment.Settlement.GetAcknowledgements(), a => Assert.Equal(DecisionKind.Abort, a.Kind));

        // A late verify after the abort holds nothing again.
        await payment.Part(payment.BankB).Verify(await payment.RequestAsync());
        await Task.Delay(200);
        Assert.Equal(NoteState.Outstanding, await payment.NoteStateAsync(payment.BankB, payment.Bob.Notes[0]));
    }

    [Fact]
    public async Task Decide_AbortAfterCommit_UndoesNothing()
    {
        using var payment = await GroupPayment.CreateAsync(_kit);
        var commit = await payment.VerifyAllAndCommitAsync();
        await payment.Settlement.Persist(payment.AgreementJson, commit);
        await payment.Part(payment.BankB).Decide(commit);
        await BankingKit.EventuallyAsync(async () => (await payment.Part(payment.BankB).Get()).Stage == BankPartStage.Settled, "bank B settled");

        await payment.Part(payment.BankB).Decide(new SettlementDecision(payment.AgreementId, DecisionKind.Abort, [], "vote_timeout", DateTimeOffset.UtcNow));
        await Task.Delay(200);

        Assert.Equal(BankPartStage.Settled, (await payment.Part(payment.BankB).Get()).Stage);
        Assert.Equal(NoteState.Spent, await payment.NoteStateAsync(payment.BankB, payment.Bob.Notes[0]));
    }

    /// <summary>A COMMIT that does not verify, as if the settlement grain had persisted and sent it: no bank part settles,
    /// and the notes it holds stay held (a note checks the commit itself before it counts as spent, ADR 0019).</summary>
    private async Task AssertNotSettledAsync(GroupPayment payment, SettlementDecision commit)
    {
        await payment.DecideAllAsync(commit);

        // Decide is one-way: give it time to do whatever it would do.
        await Task.Delay(300);
        foreach (var bank in payment.Institutions)
        {
            var view = await payment.Part(bank).Get();
            Assert.NotEqual(BankPartStage.Settling, view.Stage);
            Assert.NotEqual(BankPartStage.Settled, view.Stage);
            Assert.Empty(view.ChangeNoteJsons);
        }

        Assert.Equal(NoteState.Held, await payment.NoteStateAsync(payment.BankA, payment.Alice.Notes[0]));
        Assert.Equal(0, (await _kit.Account(payment.BankC, payment.StoreAccount).Get())!.BalanceMinor);
        Assert.Empty(await payment.Settlement.GetAcknowledgements());
    }

    private static async Task WaitSettledAsync(GroupPayment payment) =>
        await BankingKit.EventuallyAsync(
            async () => (await Task.WhenAll(payment.Institutions.Select(b => payment.Part(b).Get()))).All(v => v.Stage == BankPartStage.Settled),
            "every bank settled");
}
