using OrleansSettlement.Contracts;
using OrleansSettlement.Grains.Banking;
using OrleansSettlement.Protocol.Crypto;

namespace OrleansSettlement.Service.Tests.Banking;

/// <summary>
/// An account's "insufficient funds" rests on a balance the activation may not hold: after a silo loss Orleans can run a
/// second activation that takes a deposit the first never sees (settle chaos, seed 90210 scenario 107: the deposit went to
/// one activation, the withdrawal to the other, which refused it from its memory of a balance of 0). The refusal is
/// confirmed against the stored row first. The row is changed here behind the activation's back through the silo's own
/// storage provider, which is what the other activation's write does.
/// </summary>
[Collection(BankingCollection.Name)]
public sealed class StaleAccountTests(BankingFixture fixture)
{
    private readonly BankingKit _kit = new(fixture.Client);

    [Fact]
    public async Task Withdraw_AtAnActivationThatMissedADeposit_ReadsTheRowAgainAndPays()
    {
        var bank = await _kit.InstitutionAsync();
        using var wallet = LocalSigner.Generate();
        var account = _kit.Account(bank, BankingKit.NewName("acct"));
        Assert.True((await account.Open(OwnerKind.Wallet, wallet.PublicKey.Thumbprint, BankingKit.Currency)).IsOk);
        Assert.Equal(0, (await account.Get())!.BalanceMinor);

        var row = await fixture.ReadRowAsync<AccountState>("account", account);
        Assert.NotNull(row.State);
        row.State.BalanceMinor = 1000;
        row.State.DepositedMinor = 1000;
        await fixture.WriteRowAsync("account", account, row);

        var withdrawn = await account.Withdraw(BankingKit.NewOperationId(), [400], BankingKit.JwkJson(wallet));

        Assert.True(withdrawn.IsOk, withdrawn.Refusal?.ToString());
        Assert.Equal(600, withdrawn.Value!.Account.BalanceMinor);
        Assert.Equal("insufficient_funds", (await account.Withdraw(BankingKit.NewOperationId(), [700], BankingKit.JwkJson(wallet))).Refusal?.Code);
    }
}
