using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using OrleansSettlement.Protocol.Crypto;
using OrleansSettlement.Protocol.Http;
using OrleansSettlement.Protocol.Messages;
using OrleansSettlement.Sdk;

namespace OrleansSettlement.Service.Tests.Api;

[Collection(ApiCollection.Name)]
public sealed class WalletRouteTests(ApiFixture api) : IDisposable
{
    private readonly ApiParties _parties = new(api);

    [Fact]
    public async Task Register_SignedByTheKey_ProfileReadable()
    {
        var bank = await _parties.CreateBankAsync();
        var payer = _parties.NewPayer(bank);
        await bank.Operator.OpenAccountAsync(payer.Account, AccountOwnerKind.Wallet, payer.WalletId, ApiParties.Currency);

        var registered = await payer.Wallet.RegisterAsync(bank.Name, payer.Account);
        var profile = await payer.Wallet.GetProfileAsync();

        Assert.Equal(payer.WalletId, registered.Wallet);
        Assert.Equal(registered, profile with { Key = registered.Key });
        Assert.Equal(payer.WalletId, PublicJwk.Parse(profile.Key).Value.Thumbprint);
    }

    [Fact]
    public async Task Register_SignedByAnotherKey_Returns401()
    {
        var bank = await _parties.CreateBankAsync();
        var payer = _parties.NewPayer(bank);
        var impostor = _parties.NewPayer(bank);
        await bank.Operator.OpenAccountAsync(payer.Account, AccountOwnerKind.Wallet, payer.WalletId, ApiParties.Currency);
        var body = new JsonObject { ["key"] = payer.Key.PublicKey.ToJson(), ["institution"] = bank.Name, ["account"] = payer.Account };

        using var request = await impostor.Wallet.CreateSignedRequestAsync(HttpMethod.Post, "v1/wallets", Encoding.UTF8.GetBytes(body.ToJsonString()), SettlementIds.NewIdempotencyKey());

        await Raw.ExpectProblemAsync(api.Http, request, HttpStatusCode.Unauthorized, "unauthenticated");
        await Raw.ExpectRefusalAsync(() => payer.Wallet.GetProfileAsync(), 401, "unauthenticated");
    }

    [Fact]
    public async Task Register_AccountOfAnotherWallet_Returns403()
    {
        var bank = await _parties.CreateBankAsync();
        var owner = _parties.NewPayer(bank);
        var other = _parties.NewPayer(bank);
        await bank.Operator.OpenAccountAsync(owner.Account, AccountOwnerKind.Wallet, owner.WalletId, ApiParties.Currency);

        await Raw.ExpectRefusalAsync(() => other.Wallet.RegisterAsync(bank.Name, owner.Account), 403, "forbidden");
    }

    [Fact]
    public async Task WalletRoutes_AnotherWalletsSignature_Returns403()
    {
        var bank = await _parties.CreateBankAsync();
        var alice = await _parties.CreatePayerAsync(bank, 1_000, "alice");
        var mallory = await _parties.CreatePayerAsync(bank, 0, "mallory");

        foreach (var path in new[] { "", "/notes", "/challenges", "/checkouts", "/contributions?agreementId=" + Sha() })
        {
            using var request = await mallory.Wallet.CreateSignedRequestAsync(HttpMethod.Get, $"v1/wallets/{alice.WalletId}{path}", null);
            await Raw.ExpectProblemAsync(api.Http, request, HttpStatusCode.Forbidden, "forbidden");
        }

        using var withdraw = await mallory.Wallet.CreateSignedRequestAsync(HttpMethod.Post, $"v1/wallets/{alice.WalletId}/withdrawals", Encoding.UTF8.GetBytes("{\"denominationsMinor\":[100]}"), SettlementIds.NewIdempotencyKey());
        await Raw.ExpectProblemAsync(api.Http, withdraw, HttpStatusCode.Forbidden, "forbidden");
        Assert.Empty((await alice.Wallet.GetNotesAsync()).Notes);
    }

    [Fact]
    public async Task WalletRoutes_NoSignature_Returns401()
    {
        var bank = await _parties.CreateBankAsync();
        var alice = await _parties.CreatePayerAsync(bank, 0, "alice");

        await Raw.ExpectProblemAsync(api.Http, Raw.Get($"/v1/wallets/{alice.WalletId}"), HttpStatusCode.Unauthorized, "unauthenticated");
        await Raw.ExpectProblemAsync(api.Http, Raw.Post($"/v1/wallets/{alice.WalletId}/withdrawals", "{\"denominationsMinor\":[1]}"), HttpStatusCode.Unauthorized, "unauthenticated");
        await Raw.ExpectProblemAsync(api.Http, Raw.Get($"/v1/wallets/{alice.WalletId}/notes", bank.OperatorToken.Token), HttpStatusCode.Unauthorized, "unauthenticated");
    }

    [Fact]
    public async Task WalletRoutes_StaleOrFutureCreated_Returns401SignatureExpired()
    {
        var bank = await _parties.CreateBankAsync();
        var alice = await _parties.CreatePayerAsync(bank, 0, "alice");

        using var stale = await alice.Wallet.CreateSignedRequestAsync(HttpMethod.Get, $"v1/wallets/{alice.WalletId}", null, created: DateTimeOffset.UtcNow.AddMinutes(-6));
        await Raw.ExpectProblemAsync(api.Http, stale, HttpStatusCode.Unauthorized, "signature_expired");
        using var future = await alice.Wallet.CreateSignedRequestAsync(HttpMethod.Get, $"v1/wallets/{alice.WalletId}", null, created: DateTimeOffset.UtcNow.AddMinutes(2));
        await Raw.ExpectProblemAsync(api.Http, future, HttpStatusCode.Unauthorized, "signature_expired");
    }

    [Fact]
    public async Task WalletRoutes_ReplayedNonce_Returns401Replayed()
    {
        var bank = await _parties.CreateBankAsync();
        var alice = await _parties.CreatePayerAsync(bank, 0, "alice");
        var created = DateTimeOffset.UtcNow;
        var nonce = SettlementIds.NewIdempotencyKey();

        using var first = await alice.Wallet.CreateSignedRequestAsync(HttpMethod.Get, $"v1/wallets/{alice.WalletId}", null, created: created, nonce: nonce);
        using var copy = await alice.Wallet.CreateSignedRequestAsync(HttpMethod.Get, $"v1/wallets/{alice.WalletId}", null, created: created, nonce: nonce);
        using var accepted = await api.Http.SendAsync(first);

        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        await Raw.ExpectProblemAsync(api.Http, copy, HttpStatusCode.Unauthorized, "replayed_request");
    }

    [Fact]
    public async Task Withdraw_BodyTamperedAfterSigning_RefusedAndNothingMoves()
    {
        var bank = await _parties.CreateBankAsync();
        var alice = await _parties.CreatePayerAsync(bank, 1_000, "alice");
        var path = $"v1/wallets/{alice.WalletId}/withdrawals";

        // The body changed, Content-Digest left as signed: the digest no longer matches the body.
        using var tampered = await alice.Wallet.CreateSignedRequestAsync(HttpMethod.Post, path, Encoding.UTF8.GetBytes("{\"denominationsMinor\":[100]}"), SettlementIds.NewIdempotencyKey());
        tampered.Content = Json("{\"denominationsMinor\":[900]}");
        await Raw.ExpectProblemAsync(api.Http, tampered, HttpStatusCode.UnprocessableEntity, "digest_mismatch");

        // The body and its Content-Digest changed together: the signature covered the old digest.
        using var redigested = await alice.Wallet.CreateSignedRequestAsync(HttpMethod.Post, path, Encoding.UTF8.GetBytes("{\"denominationsMinor\":[100]}"), SettlementIds.NewIdempotencyKey());
        var newBody = Encoding.UTF8.GetBytes("{\"denominationsMinor\":[900]}");
        redigested.Content = Json("{\"denominationsMinor\":[900]}");
        redigested.Headers.Remove(HttpSignatures.ContentDigestHeader);
        redigested.Headers.TryAddWithoutValidation(HttpSignatures.ContentDigestHeader, HttpSignatures.ContentDigest(newBody));
        await Raw.ExpectProblemAsync(api.Http, redigested, HttpStatusCode.Unauthorized, "unauthenticated");

        // The Idempotency-Key changed after signing.
        using var rekeyed = await alice.Wallet.CreateSignedRequestAsync(HttpMethod.Post, path, Encoding.UTF8.GetBytes("{\"denominationsMinor\":[100]}"), SettlementIds.NewIdempotencyKey());
        rekeyed.Headers.Remove(HttpSignatures.IdempotencyKeyHeader);
        rekeyed.Headers.TryAddWithoutValidation(HttpSignatures.IdempotencyKeyHeader, SettlementIds.NewIdempotencyKey());
        await Raw.ExpectProblemAsync(api.Http, rekeyed, HttpStatusCode.Unauthorized, "unauthenticated");

        Assert.Equal(1_000, (await bank.Operator.GetAccountAsync(alice.Account)).BalanceMinor);
    }

    [Fact]
    public async Task Withdraw_Wallet_NotesVerifyWithThePublishedKeys()
    {
        var bank = await _parties.CreateBankAsync();
        var alice = await _parties.CreatePayerAsync(bank, 10_000, "alice");

        var withdrawal = await alice.Wallet.WithdrawAsync([5_000, 2_000]);
        var keys = await api.Client.GetInstitutionKeysAsync(bank.Name);
        var listed = await alice.Wallet.GetNotesAsync();

        Assert.Equal(3_000, withdrawal.Account.BalanceMinor);
        Assert.Equal(2, withdrawal.Notes.Count);
        foreach (var noteJson in withdrawal.Notes)
        {
            var note = Note.Parse(noteJson).Value;
            var key = PublicJwk.Parse(keys.Keys.Single(k => k["kid"]!.GetValue<string>() == note.Value.IssuerKeyId)).Value;
            Assert.Null(Note.Check(note, bank.Name, key, alice.WalletId, DateTimeOffset.UtcNow));
        }

        Assert.Equal(2, listed.Notes.Count);
        Assert.All(listed.Notes, n => Assert.Equal("outstanding", n.State));
    }

    [Fact]
    public async Task Withdraw_SameKeyTwice_OneDebitTheSameNotes()
    {
        var bank = await _parties.CreateBankAsync();
        var alice = await _parties.CreatePayerAsync(bank, 10_000, "alice");
        var key = SettlementIds.NewIdempotencyKey();

        var first = await alice.Wallet.WithdrawAsync([1_000], key);
        var retry = await alice.Wallet.WithdrawAsync([1_000], key);

        Assert.Equal(first.Notes.Single().ToJsonString(), retry.Notes.Single().ToJsonString());
        Assert.Equal(9_000, (await bank.Operator.GetAccountAsync(alice.Account)).BalanceMinor);
        Assert.Single((await alice.Wallet.GetNotesAsync()).Notes);
        await Raw.ExpectRefusalAsync(() => alice.Wallet.WithdrawAsync([2_000], key), 409, "idempotency_key_reused");
    }

    [Fact]
    public async Task Withdraw_TooMuch_Returns422AndIsStored()
    {
        var bank = await _parties.CreateBankAsync();
        var alice = await _parties.CreatePayerAsync(bank, 100, "alice");
        var key = SettlementIds.NewIdempotencyKey();

        var refusal = await Raw.ExpectRefusalAsync(() => alice.Wallet.WithdrawAsync([500], key), 422, "insufficient_funds");
        await bank.Operator.DepositAsync(alice.Account, 1_000);
        var again = await Raw.ExpectRefusalAsync(() => alice.Wallet.WithdrawAsync([500], key), 422, "insufficient_funds");

        Assert.Equal(refusal.TraceId, again.TraceId);
        Assert.Equal(1_100, (await bank.Operator.GetAccountAsync(alice.Account)).BalanceMinor);
    }

    [Theory]
    [InlineData("{\"denominationsMinor\":[]}", "invalid_field")]
    [InlineData("{\"denominationsMinor\":[0]}", "invalid_field")]
    [InlineData("{\"denominationsMinor\":[\"5\"]}", "invalid_field")]
    [InlineData("{\"denominationsMinor\":5}", "invalid_field")]
    [InlineData("{\"denominationsMinor\":[5.5]}", "number_not_integer")]
    [InlineData("{\"denominations\":[5]}", "missing_field")]
    [InlineData("{\"denominationsMinor\":[5],\"denominationsMinor\":[6]}", "duplicate_member")]
    [InlineData("{\"denominationsMinor\":[5],\"account\":\"other\"}", "unknown_field")]
    public async Task Withdraw_BadBody_Returns400(string body, string code)
    {
        var bank = await _parties.CreateBankAsync();
        var alice = await _parties.CreatePayerAsync(bank, 1_000, "alice");

        using var request = await alice.Wallet.CreateSignedRequestAsync(HttpMethod.Post, $"v1/wallets/{alice.WalletId}/withdrawals", Encoding.UTF8.GetBytes(body), SettlementIds.NewIdempotencyKey());
        await Raw.ExpectProblemAsync(api.Http, request, HttpStatusCode.BadRequest, code);

        Assert.Equal(1_000, (await bank.Operator.GetAccountAsync(alice.Account)).BalanceMinor);
    }

    [Fact]
    public async Task Withdraw_SignedWithoutIdempotencyKey_Returns400()
    {
        var bank = await _parties.CreateBankAsync();
        var alice = await _parties.CreatePayerAsync(bank, 1_000, "alice");

        using var request = await alice.Wallet.CreateSignedRequestAsync(HttpMethod.Post, $"v1/wallets/{alice.WalletId}/withdrawals", Encoding.UTF8.GetBytes("{\"denominationsMinor\":[5]}"), SettlementIds.NewIdempotencyKey());
        request.Headers.Remove(HttpSignatures.IdempotencyKeyHeader);

        await Raw.ExpectProblemAsync(api.Http, request, HttpStatusCode.BadRequest, "idempotency_key_missing");
    }

    private static string Sha() => SettlementIds.ItemsHash(Guid.NewGuid().ToString());

    private static ByteArrayContent Json(string text)
    {
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(text));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }

    public void Dispose() => _parties.Dispose();
}
