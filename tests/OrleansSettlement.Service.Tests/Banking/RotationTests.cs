using System.Net;
using System.Text.Json.Nodes;
using OrleansSettlement.Contracts;
using OrleansSettlement.Grains.Banking;
using OrleansSettlement.Protocol.Crypto;
using OrleansSettlement.Protocol.Messages;
using OrleansSettlement.Sdk;
using OrleansSettlement.Service.Tests.Api;

namespace OrleansSettlement.Service.Tests.Banking;

/// <summary>Note key rotation and revocation with the local signer: at the institution grain and over HTTP.</summary>
[Collection(RotationCollection.Name)]
public sealed class RotationTests(RotationFixture service) : IDisposable
{
    private readonly SigningParties _parties = new(service);

    [Fact]
    public async Task Grain_Rotate_RetiresTheActiveKeyAndSignsWithTheNewOne()
    {
        var bank = await _parties.CreateBankAsync();
        var grain = service.Grains.GetGrain<IInstitutionGrain>(bank.Name);
        var first = Assert.Single((await grain.GetProfile())!.NoteKeys);

        var rotated = await grain.RotateNoteKey();

        Assert.True(rotated.IsOk, rotated.Refusal?.Detail);
        Assert.Equal(2, rotated.Value!.NoteKeys.Count);
        Assert.Equal(KeyStatus.Retired, rotated.Value.NoteKeys.Single(k => k.Kid == first.Kid).Status);
        var active = Assert.Single(rotated.Value.NoteKeys, k => k.Status == KeyStatus.Active);
        Assert.Equal(active.Kid, PublicJwk.Parse(active.PublicJwkJson).Value.Thumbprint);
        Assert.Equal(active.Kid, await service.Grains.GetGrain<IInstitutionSignerGrain>(bank.Name).GetActiveNoteKeyId());
    }

    [Fact]
    public async Task Grain_Revoke_OnlyRetiredKeys()
    {
        var bank = await _parties.CreateBankAsync();
        var grain = service.Grains.GetGrain<IInstitutionGrain>(bank.Name);
        var first = Assert.Single((await grain.GetProfile())!.NoteKeys).Kid;

        Assert.Equal("invalid_field", (await grain.RevokeNoteKey(first)).Refusal?.Code);
        Assert.Equal("unknown_key", (await grain.RevokeNoteKey("no-such-key")).Refusal?.Code);
        Assert.True((await grain.RotateNoteKey()).IsOk);
        var revoked = await grain.RevokeNoteKey(first);
        var again = await grain.RevokeNoteKey(first);

        Assert.True(revoked.IsOk);
        Assert.Equal(KeyStatus.Revoked, revoked.Value!.NoteKeys.Single(k => k.Kid == first).Status);
        Assert.True(again.IsOk);
        Assert.Single(again.Value!.NoteKeys, k => k.Status == KeyStatus.Active);
        await Assert.ThrowsAsync<InvalidOperationException>(() => service.Grains.GetGrain<IInstitutionSignerGrain>(bank.Name)
            .SignNotes([new NoteDraft("serial-1", first, "EUR", 100, "holder", DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddDays(1))]));
    }

    [Fact]
    public async Task Http_Rotate_NewNotesUseTheNewKey_RetiredNotesStillSettle()
    {
        var bank = await _parties.CreateBankAsync();
        var store = await _parties.CreateStoreAsync(bank);
        var payer = await _parties.CreatePayerAsync(bank, 10_000);
        var oldNotes = (await payer.Wallet.WithdrawAsync([1_000])).Notes;
        var oldKid = KidOf(oldNotes[0]);

        var rotated = await PostAsync($"v1/institutions/{bank.Name}/keys/rotate", bank);
        Assert.Equal(HttpStatusCode.OK, rotated.Status);
        var newKid = ActiveKid(rotated.Body);
        Assert.NotEqual(oldKid, newKid);
        var newNotes = (await payer.Wallet.WithdrawAsync([1_000])).Notes;
        Assert.Equal(newKid, KidOf(newNotes[0]));

        // The JWKS lists both versions, each with kid = RFC 7638 thumbprint.
        var jwks = await _parties.Client.GetInstitutionKeysAsync(bank.Name);
        var kids = jwks.Keys.Select(k => k["kid"]!.GetValue<string>()).ToList();
        Assert.Equal(2, kids.Count);
        Assert.Contains(oldKid, kids);
        Assert.Contains(newKid, kids);
        foreach (var key in jwks.Keys)
        {
            Assert.Equal(key["kid"]!.GetValue<string>(), PublicJwk.Parse(key).Value.Thumbprint);
        }

        // A checkout paid with one retired-key note and one active-key note settles (S3 and S8 accept both); change is
        // minted with the active key.
        var notes = new List<JsonObject> { oldNotes[0], newNotes[0] };
        var pending = await _parties.SubmitAsync(store, payer, notes, 1_500);
        var outcome = await _parties.AnswerAndWaitAsync(store, pending);

        Assert.True(outcome.Stage == CheckoutStages.Settled, $"{outcome.Stage}: {outcome.AbortReason?.Code} {outcome.AbortReason?.Detail}");
        var change = Assert.Single(Assert.Single(outcome.Receipt!.Payers, p => p.Wallet == payer.WalletId).ChangeNotes);
        Assert.Equal(newKid, KidOf(change));
        var changeKey = PublicJwk.Parse(jwks.Keys.Single(k => k["kid"]!.GetValue<string>() == newKid)).Value;
        Assert.Null(Note.Check(Note.Parse(change).Value, bank.Name, changeKey, payer.WalletId, DateTimeOffset.UtcNow));
    }

    [Fact]
    public async Task Http_Revoke_LeavesTheJwksAndTheStoreRefusesItsNotes()
    {
        var bank = await _parties.CreateBankAsync();
        var store = await _parties.CreateStoreAsync(bank);
        var payer = await _parties.CreatePayerAsync(bank, 10_000);
        var oldNotes = (await payer.Wallet.WithdrawAsync([1_000])).Notes;
        var oldKid = KidOf(oldNotes[0]);
        Assert.Equal(HttpStatusCode.OK, (await PostAsync($"v1/institutions/{bank.Name}/keys/rotate", bank)).Status);

        var revoked = await PostAsync($"v1/institutions/{bank.Name}/keys/{oldKid}/revoke", bank);

        Assert.Equal(HttpStatusCode.OK, revoked.Status);
        var jwks = await _parties.Client.GetInstitutionKeysAsync(bank.Name);
        Assert.DoesNotContain(oldKid, jwks.Keys.Select(k => k["kid"]!.GetValue<string>()));
        Assert.Equal("revoked", (await _parties.Client.GetInstitutionAsync(bank.Name)).NoteKeys.Single(k => k.Kid == oldKid).Status);
        await Raw.ExpectRefusalAsync(() => _parties.SubmitAsync(store, payer, oldNotes, 1_000), 422, "unknown_key");
    }

    [Fact]
    public async Task Http_RevokeBetweenS3AndS8_TheBankVotesInvalidAndTheCheckoutAborts()
    {
        var bank = await _parties.CreateBankAsync();
        var store = await _parties.CreateStoreAsync(bank);
        var payer = await _parties.CreatePayerAsync(bank, 10_000);
        var oldNotes = (await payer.Wallet.WithdrawAsync([1_000])).Notes;
        Assert.Equal(HttpStatusCode.OK, (await PostAsync($"v1/institutions/{bank.Name}/keys/rotate", bank)).Status);
        var pending = await _parties.SubmitAsync(store, payer, oldNotes, 1_000);

        Assert.Equal(HttpStatusCode.OK, (await PostAsync($"v1/institutions/{bank.Name}/keys/{KidOf(oldNotes[0])}/revoke", bank)).Status);
        var outcome = await _parties.AnswerAndWaitAsync(store, pending);

        Assert.Equal(CheckoutStages.Aborted, outcome.Stage);
        Assert.Equal("unknown_key", outcome.AbortReason?.Code);
        Assert.Equal(10_000 - 1_000, (await bank.Operator.GetAccountAsync(payer.Account)).BalanceMinor);
    }

    [Fact]
    public async Task Http_RevokeRefusals()
    {
        var bank = await _parties.CreateBankAsync();
        var other = await _parties.CreateBankAsync();
        var active = (await _parties.Client.GetInstitutionAsync(bank.Name)).NoteKeys.Single().Kid;

        await Raw.ExpectProblemAsync(service.Http, Raw.Post($"v1/institutions/{bank.Name}/keys/{active}/revoke", "", bank.OperatorToken.Token), HttpStatusCode.BadRequest, "invalid_field");
        await Raw.ExpectProblemAsync(service.Http, Raw.Post($"v1/institutions/{bank.Name}/keys/{new string('A', 43)}/revoke", "", bank.OperatorToken.Token), (HttpStatusCode)422, "unknown_key");
        await Raw.ExpectProblemAsync(service.Http, Raw.Post($"v1/institutions/{bank.Name}/keys/rotate", "", other.OperatorToken.Token), HttpStatusCode.Forbidden, "forbidden");
        await Raw.ExpectProblemAsync(service.Http, Raw.Post($"v1/institutions/{bank.Name}/keys/rotate", ""), HttpStatusCode.Unauthorized, "unauthenticated");
        Assert.Single((await _parties.Client.GetInstitutionAsync(bank.Name)).NoteKeys);
    }

    public void Dispose() => _parties.Dispose();

    private static string KidOf(JsonObject note) => Note.Parse(note).Value.Value.IssuerKeyId;

    private static string ActiveKid(JsonObject profile) =>
        profile["noteKeys"]!.AsArray().Single(k => k!["status"]!.GetValue<string>() == "active")!["kid"]!.GetValue<string>();

    private async Task<(HttpStatusCode Status, JsonObject Body)> PostAsync(string path, ApiBank bank)
    {
        using var request = Raw.Post(path, "", bank.OperatorToken.Token);
        using var response = await service.Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        return (response.StatusCode, JsonNode.Parse(text)!.AsObject());
    }
}
