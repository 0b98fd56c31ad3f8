using System.Text.Json.Nodes;
using OrleansSettlement.Protocol;
using OrleansSettlement.Protocol.Crypto;
using OrleansSettlement.Protocol.Http;
using OrleansSettlement.Protocol.Messages;
using OrleansSettlement.Protocol.Signing;

namespace OrleansSettlement.Sdk;

/// <summary>
/// A wallet app's session: its key (behind <see cref="ISigner"/>; the private key never leaves it) signs every request
/// (RFC 9421: <c>@method</c>, <c>@target-uri</c>, <c>content-digest</c>, <c>idempotency-key</c>, <c>created</c>,
/// <c>nonce</c>) and every message it sends: acceptances, request infos and responses. Its wallet id is the key's RFC 7638
/// thumbprint.
/// </summary>
public sealed class WalletSession
{
    private readonly SettlementClient _client;
    private readonly ISigner _signer;

    internal WalletSession(SettlementClient client, ISigner signer, PublicJwk publicKey)
    {
        _client = client;
        _signer = signer;
        PublicKey = publicKey;
    }

    public PublicJwk PublicKey { get; }

    /// <summary>The wallet id: the RFC 7638 thumbprint of the wallet key.</summary>
    public string WalletId => PublicKey.Thumbprint;

    // ---- Routes ----------------------------------------------------------------------------------------------------

    /// <summary>Registers this key as the wallet of <paramref name="account"/> at <paramref name="institution"/> (the bank
    /// opened it for this wallet id).</summary>
    public Task<WalletInfo> RegisterAsync(string institution, string account, string? idempotencyKey = null, CancellationToken cancellationToken = default) =>
        PostAsync<WalletInfo>(
            SettlementClient.Path("wallets"),
            new JsonObject { ["key"] = PublicKey.ToJson(), ["institution"] = institution, ["account"] = account },
            idempotencyKey,
            cancellationToken);

    public Task<WalletInfo> GetProfileAsync(CancellationToken cancellationToken = default) =>
        GetAsync<WalletInfo>(SettlementClient.Path("wallets", WalletId), cancellationToken);

    public Task<WalletNotesInfo> GetNotesAsync(CancellationToken cancellationToken = default) =>
        GetAsync<WalletNotesInfo>(SettlementClient.Path("wallets", WalletId, "notes"), cancellationToken);

    /// <summary>Withdraws notes of these denominations (minor units) from the wallet's account, held by this key.</summary>
    public Task<WithdrawalInfo> WithdrawAsync(IEnumerable<long> denominationsMinor, string? idempotencyKey = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(denominationsMinor);
        return PostAsync<WithdrawalInfo>(
            SettlementClient.Path("wallets", WalletId, "withdrawals"),
            new JsonObject { ["denominationsMinor"] = new JsonArray([.. denominationsMinor.Select(d => (JsonNode)JsonValue.Create(d))]) },
            idempotencyKey,
            cancellationToken);
    }

    /// <summary>As the leader: proposes the participants and shares of a checkout's agreement; the answer carries the agreement.</summary>
    public Task<CheckoutInfo> ProposeAgreementAsync(string store, string checkoutId, IEnumerable<ProposedParticipant> participants, string? idempotencyKey = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(participants);
        var items = new JsonArray();
        foreach (var participant in participants)
        {
            items.Add(new JsonObject
            {
                ["key"] = participant.Key.DeepClone(),
                ["institution"] = participant.Institution,
                ["shareMinor"] = participant.ShareMinor,
            });
        }

        return PostAsync<CheckoutInfo>(SettlementClient.Path("stores", store, "checkouts", checkoutId, "agreement"), new JsonObject { ["participants"] = items }, idempotencyKey, cancellationToken);
    }

    /// <summary>S1: sends this wallet's contribution to the leader's mailbox.</summary>
    public Task<ContributionReceipt> SendContributionAsync(string leaderWallet, ContributionInfo contribution, string? idempotencyKey = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(contribution);
        return PostAsync<ContributionReceipt>(
            SettlementClient.Path("wallets", leaderWallet, "contributions"),
            new JsonObject
            {
                ["agreementInfo"] = contribution.AgreementInfo.DeepClone(),
                ["requestInfo"] = contribution.RequestInfo.DeepClone(),
                ["notes"] = Array(contribution.Notes),
            },
            idempotencyKey,
            cancellationToken);
    }

    /// <summary>As the leader: the contributions in its mailbox for an agreement.</summary>
    public Task<ContributionsInfo> GetContributionsAsync(string agreementId, CancellationToken cancellationToken = default) =>
        GetAsync<ContributionsInfo>(SettlementClient.Path("wallets", WalletId, "contributions") + "?agreementId=" + Uri.EscapeDataString(agreementId), cancellationToken);

    /// <summary>S2: as the leader, submits the bundle of every payer's contribution (its own included).</summary>
    public Task<CheckoutInfo> SubmitBundleAsync(string store, string checkoutId, IEnumerable<ContributionInfo> contributions, string? idempotencyKey = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(contributions);
        var items = new JsonArray();
        foreach (var contribution in contributions)
        {
            items.Add(new JsonObject
            {
                ["wallet"] = contribution.Wallet,
                ["agreementInfo"] = contribution.AgreementInfo.DeepClone(),
                ["requestInfo"] = contribution.RequestInfo.DeepClone(),
                ["notes"] = Array(contribution.Notes),
            });
        }

        return PostAsync<CheckoutInfo>(SettlementClient.Path("stores", store, "checkouts", checkoutId, "bundle"), new JsonObject { ["contributions"] = items }, idempotencyKey, cancellationToken);
    }

    /// <summary>S4: the challenges waiting for this wallet.</summary>
    public Task<ChallengesInfo> GetChallengesAsync(CancellationToken cancellationToken = default) =>
        GetAsync<ChallengesInfo>(SettlementClient.Path("wallets", WalletId, "challenges"), cancellationToken);

    /// <summary>S5: sends a signed response (see <see cref="SignResponseAsync"/>) to the checkout that challenged this wallet.</summary>
    public Task<CheckoutInfo> SubmitResponseAsync(string store, string checkoutId, JsonObject response, string? idempotencyKey = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(response);
        return PostAsync<CheckoutInfo>(SettlementClient.Path("stores", store, "checkouts", checkoutId, "responses"), new JsonObject { ["response"] = response.DeepClone() }, idempotencyKey, cancellationToken);
    }

    /// <summary>S5 in one call: signs the answer to <paramref name="challenge"/> for the notes of its request and sends it.</summary>
    public async Task<CheckoutInfo> AnswerChallengeAsync(ChallengeInfo challenge, IEnumerable<JsonObject> notes, string? idempotencyKey = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(challenge);
        var response = await SignResponseAsync(challenge.Challenge, notes, cancellationToken).ConfigureAwait(false);
        return await SubmitResponseAsync(challenge.Store, challenge.CheckoutId, response, idempotencyKey, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A checkout whose id this wallet knows (the id is the capability).</summary>
    public Task<CheckoutInfo> GetCheckoutAsync(string store, string checkoutId, CancellationToken cancellationToken = default) =>
        GetAsync<CheckoutInfo>(SettlementClient.Path("stores", store, "checkouts", checkoutId), cancellationToken);

    /// <summary>The checkouts this wallet took part in, newest first.</summary>
    public Task<RecentCheckoutsInfo> GetRecentCheckoutsAsync(CancellationToken cancellationToken = default) =>
        GetAsync<RecentCheckoutsInfo>(SettlementClient.Path("wallets", WalletId, "checkouts"), cancellationToken);

    // ---- Messages ----------------------------------------------------------------------------------------------------

    /// <summary>The agreement info for <paramref name="agreement"/>: the agreement and this wallet's signed acceptance of its id.</summary>
    public async Task<JsonObject> AcceptAsync(JsonObject agreement, CancellationToken cancellationToken = default)
    {
        var parsed = Check(Agreement.Parse(agreement.DeepClone()));
        var acceptance = await SignAsync(new Acceptance(parsed.Id, WalletId).ToContent(), Purposes.Acceptance, cancellationToken).ConfigureAwait(false);
        return new JsonObject { ["agreement"] = parsed.Json.DeepClone(), ["acceptance"] = acceptance };
    }

    /// <summary>
    /// This wallet's signed request info for its share of <paramref name="agreement"/>, spending <paramref name="notes"/>, paid
    /// to the agreement's payee, change to <paramref name="changeTo"/> (this wallet when null).
    /// </summary>
    public async Task<JsonObject> SignRequestAsync(JsonObject agreement, IEnumerable<JsonObject> notes, string? changeTo = null, CancellationToken cancellationToken = default)
    {
        var parsed = Check(Agreement.Parse(agreement.DeepClone()));
        var me = parsed.Value.FindParticipant(WalletId)
            ?? throw new ArgumentException($"wallet {WalletId} is not a participant of agreement {parsed.Id}.", nameof(agreement));
        var request = new RequestInfo(parsed.Id, WalletId, me.Institution, Serials(notes), me.Share, parsed.Value.Payee, changeTo ?? WalletId);
        return await SignAsync(request.ToContent(), Purposes.Request, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>This wallet's whole contribution (S1) to <paramref name="agreement"/>: agreement info, request info and notes.</summary>
    public async Task<ContributionInfo> ContributionAsync(JsonObject agreement, IReadOnlyList<JsonObject> notes, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(notes);
        var info = await AcceptAsync(agreement, cancellationToken).ConfigureAwait(false);
        var request = await SignRequestAsync(agreement, notes, null, cancellationToken).ConfigureAwait(false);
        return new ContributionInfo(WalletId, info, request, [.. notes.Select(n => (JsonObject)n.DeepClone())]);
    }

    /// <summary>The signed response to <paramref name="challenge"/>, naming the serials of <paramref name="notes"/> in order.</summary>
    public async Task<JsonObject> SignResponseAsync(JsonObject challenge, IEnumerable<JsonObject> notes, CancellationToken cancellationToken = default)
    {
        var parsed = Check(Challenge.Parse(challenge.DeepClone()));
        if (!string.Equals(parsed.Value.Wallet, WalletId, StringComparison.Ordinal))
        {
            throw new ArgumentException($"the challenge is for wallet {parsed.Value.Wallet}, not {WalletId}.", nameof(challenge));
        }

        var response = new Response(parsed.Value.AgreementId, WalletId, parsed.Id, parsed.Value.Nonce, Serials(notes));
        return await SignAsync(response.ToContent(), Purposes.Response, cancellationToken).ConfigureAwait(false);
    }

    // ---- Signed HTTP requests -----------------------------------------------------------------------------------------

    /// <summary>
    /// A request to the API signed by this wallet (for routes this SDK has no method for, or to control the signature):
    /// Content-Digest of <paramref name="body"/>, Idempotency-Key for a POST, and <c>Signature-Input</c>/<c>Signature</c>
    /// over them with <paramref name="created"/> (now when null) and <paramref name="nonce"/> (random when null).
    /// </summary>
    public async Task<HttpRequestMessage> CreateSignedRequestAsync(
        HttpMethod method,
        string path,
        byte[]? body,
        string? idempotencyKey = null,
        DateTimeOffset? created = null,
        string? nonce = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(method);
        var request = _client.CreateRequest(method, path, body, idempotencyKey, out var bytes);
        try
        {
            await SignRequestAsync(request, bytes, created, nonce, cancellationToken).ConfigureAwait(false);
            return request;
        }
        catch
        {
            request.Dispose();
            throw;
        }
    }

    /// <summary>Sends a request made by <see cref="CreateSignedRequestAsync"/> and reads its answer.</summary>
    public Task<T> SendAsync<T>(HttpRequestMessage request, CancellationToken cancellationToken = default) => _client.ReadAsync<T>(request, cancellationToken);

    private Task<T> GetAsync<T>(string path, CancellationToken cancellationToken) =>
        _client.SendAsync<T>(HttpMethod.Get, path, null, null, (request, bytes, token) => SignRequestAsync(request, bytes, null, null, token), cancellationToken);

    private Task<T> PostAsync<T>(string path, JsonObject body, string? idempotencyKey, CancellationToken cancellationToken) =>
        _client.SendAsync<T>(HttpMethod.Post, path, body, idempotencyKey, (request, bytes, token) => SignRequestAsync(request, bytes, null, null, token), cancellationToken);

    private async ValueTask SignRequestAsync(HttpRequestMessage request, byte[]? body, DateTimeOffset? created, string? nonce, CancellationToken cancellationToken)
    {
        var uri = request.RequestUri!;
        var contentDigest = body is null ? null : HttpSignatures.ContentDigest(body);
        var idempotencyKey = request.Headers.TryGetValues(HttpSignatures.IdempotencyKeyHeader, out var keys) ? keys.Single() : null;
        var parts = new SignedRequestParts(request.Method.Method, $"{uri.Scheme}://{uri.Authority}{uri.PathAndQuery}", contentDigest, idempotencyKey);
        var (input, signature) = await HttpSignatures.SignAsync(parts, _signer, created ?? _client.Time.GetUtcNow(), nonce, cancellationToken).ConfigureAwait(false);
        if (contentDigest is not null)
        {
            request.Headers.TryAddWithoutValidation(HttpSignatures.ContentDigestHeader, contentDigest);
        }

        request.Headers.TryAddWithoutValidation(HttpSignatures.SignatureInputHeader, input);
        request.Headers.TryAddWithoutValidation(HttpSignatures.SignatureHeader, signature);
    }

    private async Task<JsonObject> SignAsync(JsonObject content, string purpose, CancellationToken cancellationToken)
    {
        var signed = await SignedObject.SignAsync(content, purpose, _signer, cancellationToken).ConfigureAwait(false);
        return signed.IsOk ? signed.Value : throw new ProtocolException(signed.Error);
    }

    private static List<string> Serials(IEnumerable<JsonObject> notes)
    {
        ArgumentNullException.ThrowIfNull(notes);
        return [.. notes.Select(note => Check(Note.Parse(note.DeepClone())).Value.Serial)];
    }

    private static JsonArray Array(IEnumerable<JsonObject> objects) => new([.. objects.Select(o => o.DeepClone())]);

    private static Parsed<T> Check<T>(Outcome<Parsed<T>> parsed)
        where T : class =>
        parsed.IsOk ? parsed.Value : throw new ProtocolException(parsed.Error);
}
