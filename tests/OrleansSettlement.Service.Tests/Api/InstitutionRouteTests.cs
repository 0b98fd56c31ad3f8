using System.Net;
using System.Text;
using System.Text.Json;
using OrleansSettlement.Protocol.Crypto;
using OrleansSettlement.Sdk;

namespace OrleansSettlement.Service.Tests.Api;

[Collection(ApiCollection.Name)]
public sealed class InstitutionRouteTests(ApiFixture api) : IDisposable
{
    private readonly ApiParties _parties = new(api);

    [Fact]
    public async Task CreateInstitution_Admin_ReturnsPublicProfileWithoutSecrets()
    {
        var name = ApiParties.UniqueName("bank");
        var token = BearerToken.Create();

        var created = await _parties.Admin.CreateInstitutionAsync(name, "Bank of Tests", token);
        var fetched = await api.Client.GetInstitutionAsync(name);

        Assert.Equal(name, created.Institution);
        Assert.Equal("Bank of Tests", created.DisplayName);
        Assert.Single(created.NoteKeys);
        Assert.Equal("active", created.NoteKeys[0].Status);
        Assert.Equal(created.NoteKeys[0].Kid, PublicJwk.Parse(created.NoteKeys[0].Jwk).Value.Thumbprint);
        Assert.Equal(created.MessagingKey.Kid, fetched.MessagingKey.Kid);
        using var raw = await api.Http.GetAsync(new Uri($"/v1/institutions/{name}", UriKind.Relative));
        var body = await raw.Content.ReadAsStringAsync();
        Assert.DoesNotContain(token.Sha256, body, StringComparison.Ordinal);
        Assert.DoesNotContain(token.Token, body, StringComparison.Ordinal);
        Assert.DoesNotContain("\"d\"", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Jwks_Get_ListsNoteKeysWithKidUseAndAlg()
    {
        var bank = await _parties.CreateBankAsync();
        var profile = await api.Client.GetInstitutionAsync(bank.Name);

        var keys = await api.Client.GetInstitutionKeysAsync(bank.Name);

        var key = Assert.Single(keys.Keys);
        Assert.Equal(profile.NoteKeys[0].Kid, key["kid"]!.GetValue<string>());
        Assert.Equal("sig", key["use"]!.GetValue<string>());
        Assert.Equal("ES256", key["alg"]!.GetValue<string>());
        Assert.Equal(profile.NoteKeys[0].Kid, PublicJwk.Parse(key).Value.Thumbprint);
    }

    [Fact]
    public async Task CreateInstitution_NoAuthorization_Returns401()
    {
        await Raw.ExpectProblemAsync(api.Http, Raw.Post("/v1/institutions", Body(ApiParties.UniqueName("bank"))), HttpStatusCode.Unauthorized, "unauthenticated");
    }

    [Fact]
    public async Task CreateInstitution_WrongAdminToken_Returns403()
    {
        await Raw.ExpectProblemAsync(api.Http, Raw.Post("/v1/institutions", Body(ApiParties.UniqueName("bank")), BearerToken.Create().Token), HttpStatusCode.Forbidden, "forbidden");
    }

    [Fact]
    public async Task CreateInstitution_OperatorToken_Returns403()
    {
        var bank = await _parties.CreateBankAsync();

        await Raw.ExpectProblemAsync(api.Http, Raw.Post("/v1/institutions", Body(ApiParties.UniqueName("bank")), bank.OperatorToken.Token), HttpStatusCode.Forbidden, "forbidden");
    }

    [Fact]
    public async Task CreateInstitution_SameNameOtherContent_Returns409AlreadyExists()
    {
        var bank = await _parties.CreateBankAsync();

        await Raw.ExpectRefusalAsync(() => _parties.Admin.CreateInstitutionAsync(bank.Name, "Another name", BearerToken.Create()), 409, "already_exists");
    }

    [Fact]
    public async Task GetInstitution_Unknown_Returns404()
    {
        await Raw.ExpectProblemAsync(api.Http, Raw.Get($"/v1/institutions/{ApiParties.UniqueName("nobank")}"), HttpStatusCode.NotFound, "unknown_institution");
        await Raw.ExpectProblemAsync(api.Http, Raw.Get("/v1/institutions/NOT%20A%20NAME/jwks"), HttpStatusCode.NotFound, "unknown_institution");
    }

    [Fact]
    public async Task CreateInstitution_SameKeySameBody_ReplaysTheFirstAnswerByteForByte()
    {
        var body = Body(ApiParties.UniqueName("bank"));
        var key = SettlementIds.NewIdempotencyKey();

        using var first = await api.Http.SendAsync(Raw.Post("/v1/institutions", body, api.AdminToken.Token, key));
        using var second = await api.Http.SendAsync(Raw.Post("/v1/institutions", body, api.AdminToken.Token, key));

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal(await first.Content.ReadAsByteArrayAsync(), await second.Content.ReadAsByteArrayAsync());
        Assert.False(first.Headers.Contains("Idempotent-Replayed"));
        Assert.Equal("true", Assert.Single(second.Headers.GetValues("Idempotent-Replayed")));
    }

    [Fact]
    public async Task CreateInstitution_SameKeyOtherBody_Returns409KeyReused()
    {
        var key = SettlementIds.NewIdempotencyKey();
        using var first = await api.Http.SendAsync(Raw.Post("/v1/institutions", Body(ApiParties.UniqueName("bank")), api.AdminToken.Token, key));
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);

        await Raw.ExpectProblemAsync(api.Http, Raw.Post("/v1/institutions", Body(ApiParties.UniqueName("bank")), api.AdminToken.Token, key), HttpStatusCode.Conflict, "idempotency_key_reused");
    }

    [Fact]
    public async Task CreateInstitution_RefusalIsStoredToo_RetryGetsTheSameRefusal()
    {
        var bank = await _parties.CreateBankAsync();
        var body = $$"""{"institution":"{{bank.Name}}","displayName":"Other","operatorTokenSha256":"{{BearerToken.Create().Sha256}}"}""";
        var key = SettlementIds.NewIdempotencyKey();

        using var first = await api.Http.SendAsync(Raw.Post("/v1/institutions", body, api.AdminToken.Token, key));
        using var second = await api.Http.SendAsync(Raw.Post("/v1/institutions", body, api.AdminToken.Token, key));

        Assert.Equal(HttpStatusCode.Conflict, first.StatusCode);
        Assert.Equal(await first.Content.ReadAsStringAsync(), await second.Content.ReadAsStringAsync());
        Assert.True(second.Headers.Contains("Idempotent-Replayed"));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("has space")]
    public async Task CreateInstitution_MissingOrInvalidIdempotencyKey_Returns400(string? key)
    {
        using var request = Raw.Post("/v1/institutions", Body(ApiParties.UniqueName("bank")), api.AdminToken.Token, idempotencyKey: null);
        if (key is not null)
        {
            request.Headers.TryAddWithoutValidation("Idempotency-Key", key);
        }

        await Raw.ExpectProblemAsync(api.Http, request, HttpStatusCode.BadRequest, "idempotency_key_missing");
    }

    [Theory]
    [InlineData("not json", "malformed_json")]
    [InlineData("", "malformed_json")]
    [InlineData("[]", "malformed_json")]
    [InlineData("{\"institution\":\"a\"", "malformed_json")]
    [InlineData("{\"institution\":\"bank-x\",\"displayName\":\"X\",\"operatorTokenSha256\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"} trailing", "malformed_json")]
    [InlineData("{\"institution\":\"bank-x\",\"institution\":\"bank-y\",\"displayName\":\"X\",\"operatorTokenSha256\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}", "duplicate_member")]
    [InlineData("{\"displayName\":\"X\",\"operatorTokenSha256\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}", "missing_field")]
    [InlineData("{\"institution\":42,\"displayName\":\"X\",\"operatorTokenSha256\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}", "invalid_field")]
    [InlineData("{\"institution\":\"Bank X\",\"displayName\":\"X\",\"operatorTokenSha256\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}", "invalid_field")]
    [InlineData("{\"institution\":\"bank-x\",\"displayName\":\"X\",\"operatorTokenSha256\":\"AAAA=\"}", "invalid_base64_url")]
    [InlineData("{\"institution\":\"bank-x\",\"displayName\":\"X\",\"operatorTokenSha256\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\",\"extra\":1}", "unknown_field")]
    [InlineData("{\"institution\":\"bank-x\",\"displayName\":\"X\",\"operatorTokenSha256\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\",\"extra\":1.5}", "number_not_integer")]
    [InlineData("{\"institution\":\"bank-x\",\"displayName\":\"X\",\"operatorTokenSha256\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\",\"extra\":9007199254740992}", "integer_out_of_range")]
    [InlineData("{\"institution\":\"bank-x\",\"displayName\":\"\\ud800\",\"operatorTokenSha256\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}", "malformed_json")]
    public async Task CreateInstitution_BadBody_Returns400WithCode(string body, string code)
    {
        await Raw.ExpectProblemAsync(api.Http, Raw.Post("/v1/institutions", body, api.AdminToken.Token), HttpStatusCode.BadRequest, code);
    }

    [Fact]
    public async Task CreateInstitution_BodyOverTheLimit_Returns413()
    {
        var padding = new string('x', 300 * 1024);
        var body = $$"""{"institution":"bank-x","displayName":"{{padding}}","operatorTokenSha256":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}""";

        await Raw.ExpectProblemAsync(api.Http, Raw.Post("/v1/institutions", body, api.AdminToken.Token), HttpStatusCode.RequestEntityTooLarge, "payload_too_large");
    }

    [Fact]
    public async Task CreateInstitution_BadInputNeverStored_ACorrectedRetryWithTheSameKeySucceeds()
    {
        var key = SettlementIds.NewIdempotencyKey();
        var name = ApiParties.UniqueName("bank");
        await Raw.ExpectProblemAsync(api.Http, Raw.Post("/v1/institutions", "{\"institution\":", api.AdminToken.Token, key), HttpStatusCode.BadRequest, "malformed_json");

        using var corrected = await api.Http.SendAsync(Raw.Post("/v1/institutions", Body(name), api.AdminToken.Token, key));

        Assert.Equal(HttpStatusCode.OK, corrected.StatusCode);
    }

    private static string Body(string institution) =>
        JsonSerializer.Serialize(new { institution, displayName = "Bank " + institution, operatorTokenSha256 = BearerToken.Create().Sha256 });

    public void Dispose() => _parties.Dispose();
}

/// <summary>Unknown routes, methods and resources; the OpenAPI document.</summary>
[Collection(ApiCollection.Name)]
public sealed class ApiSurfaceTests(ApiFixture api)
{
    [Theory]
    [InlineData("/v1/no-such-route")]
    [InlineData("/v1/institutions/a/b/c/d/e")]
    public async Task UnknownRoute_Get_Returns404NotFoundProblem(string path)
    {
        await Raw.ExpectProblemAsync(api.Http, Raw.Get(path), HttpStatusCode.NotFound, "not_found");
    }

    [Fact]
    public async Task WrongMethod_Returns405WithCode()
    {
        await Raw.ExpectProblemAsync(api.Http, Raw.Get("/v1/institutions"), HttpStatusCode.MethodNotAllowed, "not_found");
    }

    [Fact]
    public async Task OpenApi_ListsEveryRouteWithAccessHeadersAndProblemCodes()
    {
        using var response = await api.Http.GetAsync(new Uri("/openapi/v1.json", UriKind.Relative));
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var paths = document.RootElement.GetProperty("paths");

        string[] expected =
        [
            "/v1/institutions", "/v1/institutions/{institution}", "/v1/institutions/{institution}/jwks",
            "/v1/institutions/{institution}/accounts", "/v1/institutions/{institution}/accounts/{account}",
            "/v1/institutions/{institution}/accounts/{account}/deposits", "/v1/institutions/{institution}/stores",
            "/v1/stores/{store}", "/v1/stores/{store}/checkouts", "/v1/stores/{store}/checkouts/{checkoutId}",
            "/v1/stores/{store}/checkouts/{checkoutId}/agreement", "/v1/stores/{store}/checkouts/{checkoutId}/bundle",
            "/v1/stores/{store}/checkouts/{checkoutId}/responses", "/v1/wallets", "/v1/wallets/{wallet}",
            "/v1/wallets/{wallet}/notes", "/v1/wallets/{wallet}/withdrawals", "/v1/wallets/{wallet}/contributions", "/v1/wallets/{wallet}/challenges", "/v1/wallets/{wallet}/checkouts",
        ];
        foreach (var path in expected)
        {
            Assert.True(paths.TryGetProperty(path, out _), $"the document lists {path}");
        }

        var deposit = paths.GetProperty("/v1/institutions/{institution}/accounts/{account}/deposits").GetProperty("post");
        Assert.Contains(deposit.GetProperty("parameters").EnumerateArray(), p => p.GetProperty("name").GetString() == "Idempotency-Key" && p.GetProperty("required").GetBoolean());
        Assert.Contains(deposit.GetProperty("x-problem-codes").EnumerateArray(), c => c.GetString() == "idempotency_key_reused");
        Assert.True(deposit.GetProperty("responses").TryGetProperty("409", out _));
        Assert.True(deposit.TryGetProperty("security", out _));

        var mailbox = paths.GetProperty("/v1/wallets/{wallet}/contributions");
        Assert.True(mailbox.TryGetProperty("get", out _) && mailbox.TryGetProperty("post", out _), "the mailbox route takes GET (the leader) and POST (a contributor)");

        var withdraw = paths.GetProperty("/v1/wallets/{wallet}/withdrawals").GetProperty("post");
        var headers = withdraw.GetProperty("parameters").EnumerateArray().Select(p => p.GetProperty("name").GetString()).ToList();
        Assert.Contains("Signature-Input", headers);
        Assert.Contains("Signature", headers);
        Assert.Contains("Content-Digest", headers);
        Assert.True(withdraw.TryGetProperty("requestBody", out _));
        Assert.True(document.RootElement.GetProperty("components").GetProperty("securitySchemes").TryGetProperty("walletSignature", out _));
    }

    [Fact]
    public async Task ProblemBodies_NeverHoldInternals_EvenForGarbage()
    {
        var bodies = new[] { "\u0000", "{\"a\":" + new string('[', 200) + "}", "{\"participants\":[{}]}", "null", "1e999" };
        foreach (var body in bodies)
        {
            using var response = await api.Http.SendAsync(Raw.Post("/v1/institutions", body, api.AdminToken.Token));
            Assert.True((int)response.StatusCode is >= 400 and < 500, $"{body} answered {(int)response.StatusCode}");
            var text = await response.Content.ReadAsStringAsync();
            Assert.DoesNotContain("Exception", text, StringComparison.Ordinal);
        }

        using var bytes = new ByteArrayContent(Encoding.Latin1.GetBytes("{\"institution\":\"\u00e9\"}"));
        using var invalidUtf8 = new HttpRequestMessage(HttpMethod.Post, new Uri("/v1/institutions", UriKind.Relative)) { Content = bytes };
        invalidUtf8.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", api.AdminToken.Token);
        invalidUtf8.Headers.TryAddWithoutValidation("Idempotency-Key", SettlementIds.NewIdempotencyKey());
        await Raw.ExpectProblemAsync(api.Http, invalidUtf8, HttpStatusCode.BadRequest, "malformed_json");
    }
}
