using OrleansSettlement.Sdk;

namespace OrleansSettlement.Cli.Demo;

/// <summary>The credentials a demo acts with: each demo bank's operator token and the store it pays.</summary>
internal sealed record DemoParties(IReadOnlyDictionary<string, string> OperatorTokens, DemoStoreEntry Store);

/// <summary>
/// Makes the demo data on a service through the API, as partners would with the SDK, and keeps the tokens in a tokens file
/// (<c>.settle/demo.json</c>): the six demo institutions (admin) and the store <c>demo-store</c> with its settlement account
/// at <c>bank-store</c> (its operator). Idempotent: what exists already (<c>already_exists</c>) is checked to answer to the
/// file's tokens and left as it is, so it runs on every <c>settle up</c>.
/// </summary>
internal sealed class DemoSeeder(SettlementClient client, string tokensPath, Action<string, TimeSpan>? waiting = null)
{
    /// <summary>How long seeding waits through transient failures of a service that has just become ready.</summary>
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private const string AlreadyExists = "already_exists";

    /// <summary>A name no demo account or checkout has: reading it checks a token without changing anything.</summary>
    private const string ProbeName = "demo-token-check";

    private readonly DemoCalls _calls = new(Patience, waiting);

    public string TokensPath { get; } = tokensPath;

    /// <summary>Creates what is missing of the demo institutions and <c>demo-store</c>, as the admin.</summary>
    public async Task<DemoTokens> SeedAsync(string adminToken, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(adminToken);
        DemoTokens tokens;
        using (await FileGate.AcquireAsync(TokensPath + ".lock", ct).ConfigureAwait(false))
        {
            tokens = DemoTokens.Load(TokensPath) ?? DemoTokens.Empty();
            foreach (var institution in DemoCatalog.Institutions)
            {
                tokens.EnsureInstitution(institution);
            }

            tokens.EnsureStore(DemoCatalog.StoreBank);

            // Written before the service hears of any token: it never holds the hash of a token this file lost.
            tokens.Save(TokensPath);
        }

        var admin = client.Admin(adminToken);
        await Task.WhenAll(DemoCatalog.Institutions.Select(institution => EnsureInstitutionAsync(admin, institution, tokens.Institutions[institution], ct))).ConfigureAwait(false);
        await EnsureStoreOnServiceAsync(tokens, tokens.Stores[DemoCatalog.Store], ct).ConfigureAwait(false);
        return tokens;
    }

    /// <summary>
    /// The parties of a demo whose store banks at <paramref name="storeBank"/>: the operator tokens of the file, checked
    /// against the service, and the store of that bank (made on first use for a bank other than bank-store).
    /// </summary>
    public async Task<DemoParties> PrepareAsync(string storeBank, IEnumerable<string> payerBanks, CancellationToken ct)
    {
        DemoTokens tokens;
        DemoStoreEntry store;
        using (await FileGate.AcquireAsync(TokensPath + ".lock", ct).ConfigureAwait(false))
        {
            tokens = DemoTokens.Load(TokensPath) ?? throw new DemoSetupException(
                $"there is no demo data: {TokensPath} does not exist. `./settle up` seeds the demo data of the local service; "
                + "for another service pass --admin-token (and --tokens FILE to keep its tokens apart).");
            var missing = DemoCatalog.Institutions.Where(i => !tokens.Institutions.ContainsKey(i)).ToList();
            if (missing.Count > 0)
            {
                throw new DemoSetupException($"{TokensPath} has no operator token for {string.Join(", ", missing)}: run `./settle up` (it seeds the demo data) or pass --admin-token.");
            }

            var known = tokens.Stores.ContainsKey(DemoCatalog.StoreAt(storeBank));
            store = tokens.EnsureStore(storeBank);
            if (!known)
            {
                tokens.Save(TokensPath);
            }
        }

        var needed = payerBanks.Append(storeBank).Distinct(StringComparer.Ordinal).ToList();
        await Task.WhenAll(needed.Select(bank => CheckOperatorAsync(bank, tokens.Institutions[bank].OperatorToken, ct))).ConfigureAwait(false);
        await EnsureStoreOnServiceAsync(tokens, store, ct).ConfigureAwait(false);
        return new DemoParties(tokens.Institutions.ToDictionary(entry => entry.Key, entry => entry.Value.OperatorToken, StringComparer.Ordinal), store);
    }

    private async Task EnsureInstitutionAsync(AdminSession admin, string institution, DemoInstitutionEntry entry, CancellationToken ct)
    {
        try
        {
            await _calls.RunAsync(
                $"creating institution {institution}",
                token => admin.CreateInstitutionAsync(institution, entry.DisplayName, BearerToken.From(entry.OperatorToken), $"demo-seed-institution-{institution}-{BearerToken.HashOf(entry.OperatorToken)[..16]}", token),
                ct).ConfigureAwait(false);
        }
        catch (SettlementApiException exception) when (exception.Code == AlreadyExists)
        {
            // Made by an earlier run: checked below.
        }
        catch (SettlementApiException exception) when (exception.Code is "unauthenticated" or "forbidden")
        {
            throw new DemoSetupException($"the admin token is not this service's admin credential ({DemoCalls.Describe(exception)}).", exception);
        }
        catch (SettlementApiException exception) when (!exception.IsTransient)
        {
            throw new DemoSetupException($"creating institution {institution} was refused: {DemoCalls.Describe(exception)}", exception);
        }

        await CheckOperatorAsync(institution, entry.OperatorToken, ct).ConfigureAwait(false);
    }

    /// <summary>Checks that <paramref name="operatorToken"/> is the operator credential of <paramref name="institution"/>.</summary>
    private async Task CheckOperatorAsync(string institution, string operatorToken, CancellationToken ct)
    {
        try
        {
            await _calls.RunAsync($"checking the operator token of {institution}", token => client.Operator(institution, operatorToken).GetAccountAsync(ProbeName, token), ct).ConfigureAwait(false);
        }
        catch (SettlementApiException exception) when (exception.Code == "unknown_account")
        {
            // The token is the institution's: it may read its accounts, and this one does not exist.
        }
        catch (SettlementApiException exception) when (exception.Code == "unknown_institution")
        {
            throw new DemoSetupException(
                $"the service has no institution {institution}: `./settle up` seeds the demo data of the local service; for another service pass --admin-token.",
                exception);
        }
        catch (SettlementApiException exception) when (exception.Code is "forbidden" or "unauthenticated")
        {
            throw new DemoSetupException(
                $"institution {institution} exists on this service, but the operator token in {TokensPath} is not its credential "
                + "(was the file deleted or replaced while the data was kept?). Start with empty data: stop the service and run `./settle up --reset`.",
                exception);
        }
        catch (SettlementApiException exception) when (!exception.IsTransient)
        {
            throw new DemoSetupException($"checking the operator token of {institution} failed: {DemoCalls.Describe(exception)}", exception);
        }
    }

    /// <summary>Opens the store's account at its bank and creates the store, as that bank's operator; checks its token.</summary>
    private async Task EnsureStoreOnServiceAsync(DemoTokens tokens, DemoStoreEntry store, CancellationToken ct)
    {
        var bank = client.Operator(store.Institution, tokens.Institutions[store.Institution].OperatorToken);
        var storeToken = BearerToken.From(store.Token);
        try
        {
            await _calls.RunAsync(
                $"opening the account of {store.Store}",
                token => bank.OpenAccountAsync(store.Account, AccountOwnerKind.Store, store.Store, DemoCatalog.Currency, $"demo-seed-account-{store.Account}", token),
                ct).ConfigureAwait(false);
        }
        catch (SettlementApiException exception) when (exception.Code == AlreadyExists)
        {
            // Opened by an earlier run.
        }
        catch (SettlementApiException exception) when (!exception.IsTransient)
        {
            throw new DemoSetupException($"opening account {store.Account} at {store.Institution} was refused: {DemoCalls.Describe(exception)}", exception);
        }

        try
        {
            await _calls.RunAsync(
                $"creating store {store.Store}",
                token => bank.CreateStoreAsync(store.Store, store.DisplayName, store.Account, storeToken, $"demo-seed-store-{store.Store}-{storeToken.Sha256[..16]}", token),
                ct).ConfigureAwait(false);
        }
        catch (SettlementApiException exception) when (exception.Code == AlreadyExists)
        {
            // Created by an earlier run: checked below.
        }
        catch (SettlementApiException exception) when (!exception.IsTransient)
        {
            throw new DemoSetupException($"creating store {store.Store} at {store.Institution} was refused: {DemoCalls.Describe(exception)}", exception);
        }

        try
        {
            await _calls.RunAsync($"checking the token of {store.Store}", token => client.Store(store.Store, store.Token).GetCheckoutAsync(ProbeName, token), ct).ConfigureAwait(false);
        }
        catch (SettlementApiException exception) when (exception.Code == "unknown_checkout")
        {
            // The token is the store's: it may read its checkouts, and this one does not exist.
        }
        catch (SettlementApiException exception) when (exception.Code is "forbidden" or "unauthenticated")
        {
            throw new DemoSetupException(
                $"store {store.Store} exists on this service, but the token in {TokensPath} is not its credential. Start with empty data: stop the service and run `./settle up --reset`.",
                exception);
        }
        catch (SettlementApiException exception) when (!exception.IsTransient)
        {
            throw new DemoSetupException($"checking the token of store {store.Store} failed: {DemoCalls.Describe(exception)}", exception);
        }
    }
}
