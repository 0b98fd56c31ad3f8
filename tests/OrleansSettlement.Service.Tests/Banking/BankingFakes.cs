using OrleansSettlement.Contracts;

namespace OrleansSettlement.Service.Tests.Banking;

// Recording stand-ins for the bank grains' peers, used only by BankingFixture's silo (which takes the real store,
// wallet and settlement grains out). Their class names differ from the contracts' (not StoreGrain, WalletGrain,
// SettlementGrain), so in a silo that also has the real grains (ServiceFixture's) Orleans still picks the real ones
// for the contract interfaces: it prefers the class named like the interface without its "I".

[Alias("osettle.tests.IBankingTestStore")]
public interface IBankingTestStore : IGrainWithStringKey
{
    [Alias("SetProfile")]
    Task SetProfile(StoreProfile profile);
}

[Alias("osettle.tests.IBankingTestWallet")]
public interface IBankingTestWallet : IGrainWithStringKey
{
    /// <summary>Every note text received, in order, repeats included.</summary>
    [Alias("GetReceived")]
    Task<IReadOnlyList<string>> GetReceived();

    /// <summary>Makes the next <paramref name="count"/> ReceiveNotes calls throw (a wallet that is briefly unreachable).</summary>
    [Alias("FailNextReceives")]
    Task FailNextReceives(int count);
}

[Alias("osettle.tests.IBankingTestSettlement")]
public interface IBankingTestSettlement : IGrainWithStringKey
{
    /// <summary>What Vote answers from now on (null: no decision yet).</summary>
    [Alias("SetDecision")]
    Task SetDecision(SettlementDecision? decision);

    /// <summary>The decision this settlement grain persisted, with the agreement's text: what Vote and ReadDecision answer
    /// from now on (a note held by the agreement reads it, ADR 0019). A test records a forged one to see it refused.</summary>
    [Alias("Persist")]
    Task Persist(string agreementJson, SettlementDecision decision);

    [Alias("GetVotes")]
    Task<IReadOnlyList<string>> GetVotes();

    [Alias("GetAcknowledgements")]
    Task<IReadOnlyList<BankAcknowledgement>> GetAcknowledgements();
}

public sealed class BankingTestStoreGrain : Grain, IStoreGrain, IBankingTestStore
{
    private StoreProfile? _profile;

    public Task SetProfile(StoreProfile profile)
    {
        _profile = profile;
        return Task.CompletedTask;
    }

    public Task<Reply<StoreProfile>> Create(string displayName, string institution, string account, string storeTokenHash) =>
        throw new NotSupportedException("The test store is set up with SetProfile.");

    public Task<bool> IsStore(string storeTokenHash) => Task.FromResult(false);

    public Task<StoreProfile?> GetProfile() => Task.FromResult(_profile);
}

public sealed class BankingTestWalletGrain : Grain, IWalletGrain, IBankingTestWallet
{
    private readonly List<string> _received = [];
    private int _failures;

    public Task<IReadOnlyList<string>> GetReceived() => Task.FromResult<IReadOnlyList<string>>([.. _received]);

    public Task FailNextReceives(int count)
    {
        _failures = count;
        return Task.CompletedTask;
    }

    public Task ReceiveNotes(IReadOnlyList<string> noteJsons)
    {
        if (_failures > 0)
        {
            _failures--;
            throw new InvalidOperationException("The test wallet is unreachable this time.");
        }

        _received.AddRange(noteJsons);
        return Task.CompletedTask;
    }

    public Task<Reply<WalletProfile>> Register(string publicJwkJson, string institution, string account) => throw new NotSupportedException();

    public Task<WalletProfile?> GetProfile() => Task.FromResult<WalletProfile?>(null);

    public Task<Reply<int>> Lead(string agreementId, string store, DateTimeOffset expiresAt) => throw new NotSupportedException();

    public Task<Reply<int>> ReceiveContribution(Contribution contribution) => throw new NotSupportedException();

    public Task<IReadOnlyList<Contribution>> GetContributions(string agreementId) => Task.FromResult<IReadOnlyList<Contribution>>([]);

    public Task DeliverChallenge(PendingChallenge challenge) => Task.CompletedTask;

    public Task<IReadOnlyList<PendingChallenge>> GetChallenges() => Task.FromResult<IReadOnlyList<PendingChallenge>>([]);

    public Task<IReadOnlyList<WalletNote>> ListNotes() => Task.FromResult<IReadOnlyList<WalletNote>>([]);

    public Task AgreementEnded(string agreementId, string store, string checkoutId) => Task.CompletedTask;

    public Task<IReadOnlyList<string>> GetRecentCheckouts() => Task.FromResult<IReadOnlyList<string>>([]);

    public Task<WalletEventsPage> GetEvents(long after) => Task.FromResult(new WalletEventsPage(0, [], false));
}

public sealed class BankingTestSettlementGrain : Grain, ISettlementGrain, IBankingTestSettlement
{
    private readonly List<string> _votes = [];
    private readonly List<BankAcknowledgement> _acknowledgements = [];
    private SettlementDecision? _decision;
    private DecidedAgreement? _persisted;

    public Task SetDecision(SettlementDecision? decision)
    {
        _decision = decision;
        return Task.CompletedTask;
    }

    public Task Persist(string agreementJson, SettlementDecision decision)
    {
        _decision = decision;
        _persisted = new DecidedAgreement(agreementJson, decision);
        return Task.CompletedTask;
    }

    public Task<DecidedAgreement?> ReadDecision() => Task.FromResult(_persisted);

    public Task<IReadOnlyList<string>> GetVotes() => Task.FromResult<IReadOnlyList<string>>([.. _votes]);

    public Task<IReadOnlyList<BankAcknowledgement>> GetAcknowledgements() => Task.FromResult<IReadOnlyList<BankAcknowledgement>>([.. _acknowledgements]);

    public Task<Reply<SettlementDecision?>> Vote(string resultJson)
    {
        _votes.Add(resultJson);
        return Task.FromResult(Reply<SettlementDecision?>.Ok(_decision));
    }

    public Task Acknowledge(BankAcknowledgement acknowledgement)
    {
        _acknowledgements.Add(acknowledgement);
        return Task.CompletedTask;
    }

    public Task<Reply<SettlementView>> Begin(SettlementStart start) => throw new NotSupportedException();

    public Task<SettlementView?> Get() => Task.FromResult<SettlementView?>(null);
}
