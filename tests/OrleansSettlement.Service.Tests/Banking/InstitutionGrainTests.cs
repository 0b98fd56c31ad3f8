using OrleansSettlement.Contracts;
using OrleansSettlement.Grains.Banking;
using OrleansSettlement.Protocol.Crypto;

namespace OrleansSettlement.Service.Tests.Banking;

[Collection(BankingCollection.Name)]
public sealed class InstitutionGrainTests(BankingFixture fixture)
{
    private readonly BankingKit _kit = new(fixture.Client);

    [Fact]
    public async Task Create_SameNameAndToken_ReturnsTheSameProfile()
    {
        var name = BankingKit.NewName("bank");
        var token = BankingKit.NewTokenHash();
        var grain = _kit.Grains.GetGrain<IInstitutionGrain>(name);

        var first = await grain.Create("First Bank", token);
        var again = await grain.Create("First Bank", token);

        Assert.True(first.IsOk);
        Assert.True(again.IsOk);
        Assert.Equal(first.Value!.MessagingKey, again.Value!.MessagingKey);
        Assert.Equal(first.Value.NoteKeys, again.Value.NoteKeys);
        var noteKey = Assert.Single(first.Value.NoteKeys);
        Assert.Equal(KeyStatus.Active, noteKey.Status);
        Assert.Equal(noteKey.Kid, PublicJwk.Parse(noteKey.PublicJwkJson).Value.Thumbprint);
        Assert.NotEqual(noteKey.Kid, first.Value.MessagingKey.Kid);
    }

    [Fact]
    public async Task Create_OtherDisplayNameOrToken_IsAlreadyExists()
    {
        var name = BankingKit.NewName("bank");
        var token = BankingKit.NewTokenHash();
        var grain = _kit.Grains.GetGrain<IInstitutionGrain>(name);
        Assert.True((await grain.Create("First Bank", token)).IsOk);

        Assert.Equal("already_exists", (await grain.Create("Second Bank", token)).Refusal?.Code);
        Assert.Equal("already_exists", (await grain.Create("First Bank", BankingKit.NewTokenHash())).Refusal?.Code);
    }

    [Fact]
    public async Task Create_TokenHashNotAHash_IsRefusedAndNothingExists()
    {
        var grain = _kit.Grains.GetGrain<IInstitutionGrain>(BankingKit.NewName("bank"));

        var refused = await grain.Create("Bank", "not-a-hash");

        Assert.False(refused.IsOk);
        Assert.Null(await grain.GetProfile());
    }

    [Fact]
    public async Task IsOperator_ComparesTheTokenHash()
    {
        var name = BankingKit.NewName("bank");
        var token = BankingKit.NewTokenHash();
        var grain = _kit.Grains.GetGrain<IInstitutionGrain>(name);
        Assert.False(await grain.IsOperator(token));
        await grain.Create("Bank", token);

        Assert.True(await grain.IsOperator(token));
        Assert.False(await grain.IsOperator(BankingKit.NewTokenHash()));
        Assert.False(await grain.IsOperator(""));
    }

    [Fact]
    public async Task GetKeyMaterial_MatchesThePublishedKeys()
    {
        var name = await _kit.InstitutionAsync();
        var profile = await _kit.Grains.GetGrain<IInstitutionGrain>(name).GetProfile();

        var material = await _kit.Grains.GetGrain<IInstitutionKeysGrain>(name).GetKeyMaterial();

        Assert.NotNull(material);
        using var messaging = LocalSigner.FromPrivateJwk(material.MessagingPrivateJwkJson).Value;
        Assert.Equal(profile!.MessagingKey.Kid, messaging.PublicKey.Thumbprint);
        Assert.DoesNotContain("\"d\"", material.ToString(), StringComparison.Ordinal);
    }
}
