using OrleansSettlement.Contracts;
using OrleansSettlement.Protocol;
using OrleansSettlement.Protocol.Canonical;
using OrleansSettlement.Protocol.Crypto;
using OrleansSettlement.Protocol.Messages;
using OrleansSettlement.Protocol.Model;

namespace OrleansSettlement.Grains.Banking;

/// <summary>What S8 established for one bank part, before anything is held.</summary>
internal sealed record BankPartFindings(
    string Store,
    string Currency,
    long TotalMinor,
    string PayeeInstitution,
    string PayeeAccount,
    List<string> Institutions,
    List<InstitutionShare> Shares,
    List<BankPayerPart> Payers)
{
    public List<string> Serials => Payers.SelectMany(p => p.Serials).ToList();
}

/// <summary>The lookups S8 and S10 need, so the checks read as the protocol states them.</summary>
internal interface IBankPartLookups
{
    Task<InstitutionProfile?> InstitutionAsync(string institution);

    Task<StoreProfile?> StoreAsync(string store);

    Task<AccountView?> AccountAsync(string institution, string account);
}

/// <summary>
/// The second validity verification (S8) of one institution, and its check of a COMMIT before S10. Pure apart from the
/// profile and account lookups; every refusal is a <see cref="ProtocolError"/> whose wire code becomes the reason of an
/// INVALID result.
/// </summary>
internal static class BankAgreementChecks
{
    /// <summary>The serials of the notes of <paramref name="institution"/> that a package names (read, not verified: they
    /// are only ever released, and a note releases only a hold of this very agreement).</summary>
    public static List<string> PackageSerials(string institution, VerifyRequest package)
    {
        var serials = new List<string>();
        foreach (var json in (package.Payers ?? []).SelectMany(p => p.NoteJsons ?? []))
        {
            var note = SafeJson.ParseMessage(json ?? "", obj => Note.Parse(obj));
            if (note.IsOk && string.Equals(note.Value.Value.Issuer, institution, StringComparison.Ordinal))
            {
                serials.Add(note.Value.Value.Serial);
            }
        }

        return serials.Distinct(StringComparer.Ordinal).ToList();
    }

    /// <summary>Everything a bank checks at S8 before it holds anything.</summary>
    public static async Task<Outcome<BankPartFindings>> VerifyAsync(
        string institution, string agreementId, VerifyRequest request, DateTimeOffset now, IBankPartLookups lookups)
    {
        // The agreement: the deal every payer signed an acceptance of, named by its hash.
        var parsed = SafeJson.ParseMessage(request.AgreementJson ?? "", obj => Agreement.Parse(obj));
        if (!parsed.IsOk)
        {
            return parsed.Error;
        }

        var agreement = parsed.Value;
        var deal = agreement.Value;
        if (!string.Equals(agreement.Id, agreementId, StringComparison.Ordinal) || !string.Equals(request.AgreementId, agreementId, StringComparison.Ordinal))
        {
            return Fail(ProtocolErrorCode.AgreementMismatch, $"the agreement sent is {agreement.Id}, not agreement {agreementId}.");
        }

        if (!string.Equals(request.Store, deal.Store, StringComparison.Ordinal))
        {
            return Fail(ProtocolErrorCode.AgreementMismatch, $"the package names store '{request.Store}' but the agreement is with '{deal.Store}'.");
        }

        // The institutions taking part are fixed by the signed agreement: every payer's bank and the payee bank.
        var institutions = deal.Participants.Select(p => p.Institution).Append(deal.Payee.Institution)
            .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var named = request.Institutions ?? [];
        if (named.Count != institutions.Count || !named.Order(StringComparer.Ordinal).SequenceEqual(institutions, StringComparer.Ordinal))
        {
            return Fail(ProtocolErrorCode.InstitutionMismatch, "the institutions named for the vote are not exactly the agreement's payer banks and payee bank.");
        }

        if (!institutions.Contains(institution, StringComparer.Ordinal))
        {
            return Fail(ProtocolErrorCode.InstitutionMismatch, $"institution '{institution}' takes no part in agreement {agreementId}.");
        }

        if (string.Equals(deal.Payee.Institution, institution, StringComparison.Ordinal)
            && await CheckPayeeAccountAsync(institution, deal, lookups).ConfigureAwait(true) is { } payeeProblem)
        {
            return payeeProblem;
        }

        var ours = deal.Participants.Where(p => string.Equals(p.Institution, institution, StringComparison.Ordinal)).ToList();
        var packages = (request.Payers ?? []).Where(p => string.Equals(p.Institution, institution, StringComparison.Ordinal)).ToList();
        var seenWallets = new HashSet<string>(StringComparer.Ordinal);
        foreach (var package in packages)
        {
            if (!ours.Exists(p => string.Equals(p.Wallet, package.Wallet, StringComparison.Ordinal)))
            {
                return Fail(ProtocolErrorCode.NotAParticipant, $"wallet {package.Wallet} is not a participant of agreement {agreementId} banking with '{institution}'.");
            }

            if (!seenWallets.Add(package.Wallet))
            {
                return Fail(ProtocolErrorCode.DuplicateParticipant, $"wallet {package.Wallet} has two packages.");
            }
        }

        if (ours.FirstOrDefault(p => !seenWallets.Contains(p.Wallet)) is { } missing)
        {
            return Fail(ProtocolErrorCode.BundleIncomplete, $"the package of wallet {missing.Wallet} is missing.");
        }

        var payers = new List<BankPayerPart>(packages.Count);
        if (packages.Count > 0)
        {
            var checkedPayers = await CheckPayersAsync(institution, agreement, packages, now, lookups).ConfigureAwait(true);
            if (!checkedPayers.IsOk)
            {
                return checkedPayers.Error;
            }

            payers = checkedPayers.Value;
        }

        var shares = deal.Participants
            .GroupBy(p => p.Institution, StringComparer.Ordinal)
            .Select(g => new InstitutionShare { Institution = g.Key, ShareMinor = g.Sum(p => p.Share.AmountMinor) })
            .OrderBy(s => s.Institution, StringComparer.Ordinal)
            .ToList();
        return Outcome<BankPartFindings>.Ok(new BankPartFindings(
            deal.Store, deal.Total.Currency.Code, deal.Total.AmountMinor, deal.Payee.Institution, deal.Payee.Account, institutions, shares, payers));
    }

    /// <summary>
    /// A COMMIT may be settled only when it carries one signed VALID result for this agreement from each institution
    /// taking part (exactly those), each verifying with that institution's published messaging key. Null when it does.
    /// </summary>
    public static async Task<ProtocolError?> VerifyCommitAsync(
        string agreementId, IReadOnlyCollection<string> institutions, SettlementDecision decision, IBankPartLookups lookups)
    {
        if (decision.Kind != DecisionKind.Commit)
        {
            return new ProtocolError(ProtocolErrorCode.InvalidField, "the decision is not a commit.");
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var text in decision.ResultJsons ?? [])
        {
            var parsed = SafeJson.ParseMessage(text ?? "", obj => VerificationResult.Parse(obj));
            if (!parsed.IsOk)
            {
                return parsed.Error;
            }

            var result = parsed.Value.Value;
            if (!string.Equals(result.AgreementId, agreementId, StringComparison.Ordinal))
            {
                return new ProtocolError(ProtocolErrorCode.AgreementMismatch, $"a result of '{result.Institution}' is for agreement {result.AgreementId}.");
            }

            if (!institutions.Contains(result.Institution, StringComparer.Ordinal))
            {
                return new ProtocolError(ProtocolErrorCode.InstitutionMismatch, $"'{result.Institution}' takes no part in agreement {agreementId}.");
            }

            if (!seen.Add(result.Institution))
            {
                return new ProtocolError(ProtocolErrorCode.DuplicateAcceptance, $"the commit carries two results of '{result.Institution}'.");
            }

            if (result.Verdict != Verdict.Valid)
            {
                return new ProtocolError(ProtocolErrorCode.InvalidField, $"the result of '{result.Institution}' is not valid.");
            }

            var profile = await lookups.InstitutionAsync(result.Institution).ConfigureAwait(true);
            if (profile is null)
            {
                return new ProtocolError(ProtocolErrorCode.UnknownInstitution, $"institution '{result.Institution}' does not exist.");
            }

            if (!string.Equals(profile.MessagingKey.Kid, result.InstitutionKeyId, StringComparison.Ordinal) || profile.MessagingKey.Status == KeyStatus.Revoked)
            {
                return new ProtocolError(ProtocolErrorCode.UnknownKey, $"the result of '{result.Institution}' names key {result.InstitutionKeyId}, which is not its messaging key.");
            }

            var key = PublicJwk.Parse(profile.MessagingKey.PublicJwkJson);
            if (!key.IsOk)
            {
                return key.Error;
            }

            if (parsed.Value.VerifySignature(key.Value, Purposes.VerificationResult) is { } bad)
            {
                return new ProtocolError(bad.Code, $"the result of '{result.Institution}': {bad.Detail}");
            }
        }

        var absent = institutions.Where(i => !seen.Contains(i)).ToList();
        return absent.Count == 0
            ? null
            : new ProtocolError(ProtocolErrorCode.AcceptanceMissing, $"the commit lacks the result of {string.Join(", ", absent)}.");
    }

    private static async Task<ProtocolError?> CheckPayeeAccountAsync(string institution, Agreement deal, IBankPartLookups lookups)
    {
        var account = await lookups.AccountAsync(institution, deal.Payee.Account).ConfigureAwait(true);
        if (account is null)
        {
            return new ProtocolError(ProtocolErrorCode.UnknownAccount, $"the payee account '{deal.Payee.Account}' does not exist at '{institution}'.");
        }

        if (account.OwnerKind != OwnerKind.Store || !string.Equals(account.Owner, deal.Store, StringComparison.Ordinal))
        {
            return new ProtocolError(ProtocolErrorCode.PayeeMismatch, $"the payee account '{deal.Payee.Account}' is not owned by store '{deal.Store}'.");
        }

        return string.Equals(account.Currency, deal.Total.Currency.Code, StringComparison.Ordinal)
            ? null
            : new ProtocolError(ProtocolErrorCode.CurrencyMismatch, $"the payee account is in {account.Currency}, the agreement in {deal.Total.Currency}.");
    }

    private static async Task<Outcome<List<BankPayerPart>>> CheckPayersAsync(
        string institution, Parsed<Agreement> agreement, List<PayerPackage> packages, DateTimeOffset now, IBankPartLookups lookups)
    {
        var deal = agreement.Value;
        var own = await lookups.InstitutionAsync(institution).ConfigureAwait(true);
        if (own is null)
        {
            return Outcome<List<BankPayerPart>>.Fail(ProtocolErrorCode.UnknownInstitution, $"institution '{institution}' does not exist.");
        }

        var store = await lookups.StoreAsync(deal.Store).ConfigureAwait(true);
        if (store is null)
        {
            return Outcome<List<BankPayerPart>>.Fail(ProtocolErrorCode.UnknownStore, $"store '{deal.Store}' does not exist.");
        }

        if (store.ChallengeKey.Status == KeyStatus.Revoked)
        {
            return Outcome<List<BankPayerPart>>.Fail(ProtocolErrorCode.UnknownKey, $"the challenge key of store '{deal.Store}' is revoked.");
        }

        var storeKey = PublicJwk.Parse(store.ChallengeKey.PublicJwkJson);
        if (!storeKey.IsOk)
        {
            return Outcome<List<BankPayerPart>>.Fail(storeKey.Error);
        }

        var noteKeys = new Dictionary<string, PublicJwk>(StringComparer.Ordinal);
        foreach (var published in own.NoteKeys.Where(k => k.Status != KeyStatus.Revoked))
        {
            var key = PublicJwk.Parse(published.PublicJwkJson);
            if (!key.IsOk)
            {
                return Outcome<List<BankPayerPart>>.Fail(key.Error);
            }

            noteKeys[published.Kid] = key.Value;
        }

        var allSerials = new HashSet<string>(StringComparer.Ordinal);
        var payers = new List<BankPayerPart>(packages.Count);
        foreach (var package in packages)
        {
            var payer = CheckPayer(institution, agreement, package, noteKeys, storeKey.Value, now);
            if (!payer.IsOk)
            {
                return Outcome<List<BankPayerPart>>.Fail(payer.Error);
            }

            foreach (var serial in payer.Value.Serials)
            {
                if (!allSerials.Add(serial))
                {
                    return Outcome<List<BankPayerPart>>.Fail(ProtocolErrorCode.DuplicateNote, $"note {serial} is presented twice.");
                }
            }

            payers.Add(payer.Value);
        }

        return Outcome<List<BankPayerPart>>.Ok(payers);
    }

    /// <summary>One payer: its notes (issuer, published key, signature, holder, validity), its request against the
    /// agreement and the notes, and its response to the store's signed challenge.</summary>
    private static Outcome<BankPayerPart> CheckPayer(
        string institution, Parsed<Agreement> agreement, PayerPackage package, Dictionary<string, PublicJwk> noteKeys, PublicJwk storeKey, DateTimeOffset now)
    {
        var deal = agreement.Value;
        var participant = deal.FindParticipant(package.Wallet)!;
        var noteJsons = package.NoteJsons ?? [];
        if (noteJsons.Count is 0 or > RequestInfo.MaxNotes)
        {
            return Outcome<BankPayerPart>.Fail(ProtocolErrorCode.InvalidField, $"wallet {package.Wallet} presents {noteJsons.Count} notes; 1 to {RequestInfo.MaxNotes} are allowed.");
        }

        var notes = new List<Note>(noteJsons.Count);
        for (var i = 0; i < noteJsons.Count; i++)
        {
            var note = SafeJson.ParseMessage(noteJsons[i] ?? "", obj => Note.Parse(obj, $"notes[{i}]"));
            if (!note.IsOk)
            {
                return Outcome<BankPayerPart>.Fail(note.Error);
            }

            var value = note.Value.Value;
            if (!string.Equals(value.Issuer, institution, StringComparison.Ordinal))
            {
                return Outcome<BankPayerPart>.Fail(ProtocolErrorCode.NoteWrongIssuer, $"note {value.Serial} was issued by '{value.Issuer}', not by '{institution}'.");
            }

            if (!noteKeys.TryGetValue(value.IssuerKeyId, out var key))
            {
                return Outcome<BankPayerPart>.Fail(ProtocolErrorCode.UnknownKey, $"note {value.Serial} names key {value.IssuerKeyId}, which is not a valid note key of '{institution}'.");
            }

            if (Note.Check(note.Value, institution, key, package.Wallet, now) is { } badNote)
            {
                return Outcome<BankPayerPart>.Fail(badNote);
            }

            notes.Add(value);
        }

        var request = SafeJson.ParseMessage(package.RequestJson ?? "", obj => RequestInfo.Parse(obj));
        if (!request.IsOk)
        {
            return Outcome<BankPayerPart>.Fail(request.Error);
        }

        if (!string.Equals(request.Value.Value.Wallet, package.Wallet, StringComparison.Ordinal))
        {
            return Outcome<BankPayerPart>.Fail(ProtocolErrorCode.NotAParticipant, $"the request in the package of wallet {package.Wallet} is by wallet {request.Value.Value.Wallet}.");
        }

        if (RequestInfo.Check(request.Value, agreement, notes) is { } badRequest)
        {
            return Outcome<BankPayerPart>.Fail(badRequest);
        }

        var challenge = SafeJson.ParseMessage(package.ChallengeJson ?? "", obj => Challenge.Parse(obj));
        if (!challenge.IsOk)
        {
            return Outcome<BankPayerPart>.Fail(challenge.Error);
        }

        if (!string.Equals(challenge.Value.Value.AgreementId, agreement.Id, StringComparison.Ordinal) || !string.Equals(challenge.Value.Value.Store, deal.Store, StringComparison.Ordinal))
        {
            return Outcome<BankPayerPart>.Fail(ProtocolErrorCode.ChallengeMismatch, $"the challenge for wallet {package.Wallet} is not for this agreement and store.");
        }

        var response = SafeJson.ParseMessage(package.ResponseJson ?? "", obj => Response.Parse(obj));
        if (!response.IsOk)
        {
            return Outcome<BankPayerPart>.Fail(response.Error);
        }

        if (Response.Check(response.Value, challenge.Value, storeKey, participant, request.Value.Value.Notes, receivedAt: null) is { } badResponse)
        {
            return Outcome<BankPayerPart>.Fail(badResponse);
        }

        var sum = Money.Sum(notes.Select(n => n.Amount));
        return Outcome<BankPayerPart>.Ok(new BankPayerPart
        {
            Wallet = package.Wallet,
            ShareMinor = participant.Share.AmountMinor,
            NotesMinor = sum.Value.AmountMinor,
            ChangeTo = request.Value.Value.ChangeTo,
            Serials = notes.Select(n => n.Serial).ToList(),
        });
    }

    private static Outcome<BankPartFindings> Fail(ProtocolErrorCode code, string detail) => Outcome<BankPartFindings>.Fail(code, detail);
}
