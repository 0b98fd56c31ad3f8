using System.Text.Json.Nodes;
using OrleansSettlement.Protocol.Crypto;
using OrleansSettlement.Protocol.Model;

namespace OrleansSettlement.Protocol.Messages;

/// <summary>Where the store is paid: an account at the store's institution (the payee bank).</summary>
public sealed record Payee(string Institution, string Account)
{
    public JsonObject ToJson() => new() { ["institution"] = Institution, ["account"] = Account };

    internal static Payee? Read(ObjectReader parent, string name)
    {
        var obj = parent.Object(name);
        if (obj is null)
        {
            return null;
        }

        var reader = new ObjectReader(obj, parent.Field(name));
        var payee = new Payee(reader.Name("institution"), reader.Name("account"));
        if (reader.Finish() is { } error)
        {
            parent.Fail(error);
            return null;
        }

        return payee;
    }
}

/// <summary>One payer in an agreement: its wallet (the thumbprint of its key), the key, its bank and its share.</summary>
public sealed record Participant(string Wallet, PublicJwk Key, string Institution, Money Share)
{
    public JsonObject ToJson() => new()
    {
        ["wallet"] = Wallet,
        ["key"] = Key.ToJson(),
        ["institution"] = Institution,
        ["shareMinor"] = Share.AmountMinor,
    };
}

/// <summary>
/// The deal the payers agree on. It carries no signature: its id is the hash of its canonical form, and each
/// payer signs an <see cref="Acceptance"/> that names that id.
/// </summary>
public sealed record Agreement(
    string Store,
    string OrderRef,
    Money Total,
    Payee Payee,
    IReadOnlyList<Participant> Participants,
    string Leader,
    DateTimeOffset ExpiresAt,
    string ItemsHash)
{
    public const int Version = 1;
    public const int MinParticipants = 2;
    public const int MaxParticipants = 32;
    public const int MaxOrderRefLength = 64;

    public Participant? FindParticipant(string wallet) =>
        Participants.FirstOrDefault(p => string.Equals(p.Wallet, wallet, StringComparison.Ordinal));

    public JsonObject ToContent()
    {
        var participants = new JsonArray();
        foreach (var participant in Participants)
        {
            participants.Add(participant.ToJson());
        }

        return new JsonObject
        {
            ["purpose"] = Purposes.Agreement,
            ["version"] = Version,
            ["store"] = Store,
            ["orderRef"] = OrderRef,
            ["currency"] = Total.Currency.Code,
            ["totalMinor"] = Total.AmountMinor,
            ["payee"] = Payee.ToJson(),
            ["participants"] = participants,
            ["leader"] = Leader,
            ["expiresAt"] = Timestamps.Format(ExpiresAt),
            ["itemsHash"] = ItemsHash,
        };
    }

    /// <summary>Reads an agreement and checks that it is coherent: shares add up, payers distinct, leader among them.</summary>
    public static Outcome<Parsed<Agreement>> Parse(JsonNode? node, string path = "agreement") =>
        MessageReader.Read(node, path, Purposes.Agreement, signed: false, reader =>
        {
            reader.Version(Version);
            var store = reader.Name("store");
            var orderRef = reader.String("orderRef", MaxOrderRefLength);
            if (reader.Error is null && orderRef.Any(char.IsControl))
            {
                reader.Fail(ProtocolErrorCode.InvalidField, $"{reader.Field("orderRef")} must not contain control characters.");
            }

            var currency = reader.Currency("currency");
            var total = reader.Amount(currency, "totalMinor");
            var payee = Payee.Read(reader, "payee");
            var items = reader.Array("participants", MinParticipants, MaxParticipants);
            var participants = new List<Participant>(items.Count);
            for (var i = 0; i < items.Count && reader.Error is null; i++)
            {
                var participant = ReadParticipant(reader, items[i], $"{reader.Field("participants")}[{i}]", currency);
                if (participant is not null)
                {
                    participants.Add(participant);
                }
            }

            var leader = reader.Hash("leader");
            var expiresAt = reader.Timestamp("expiresAt");
            var itemsHash = reader.Hash("itemsHash");
            if (reader.Error is not null)
            {
                return null;
            }

            var agreement = new Agreement(store, orderRef, total, payee!, participants, leader, expiresAt, itemsHash);
            if (agreement.CheckCoherence(reader.Field("participants")) is { } incoherent)
            {
                reader.Fail(incoherent);
                return null;
            }

            return agreement;
        });

    private ProtocolError? CheckCoherence(string participantsField)
    {
        var wallets = new HashSet<string>(StringComparer.Ordinal);
        foreach (var participant in Participants)
        {
            if (!wallets.Add(participant.Wallet))
            {
                return new ProtocolError(ProtocolErrorCode.DuplicateParticipant, $"{participantsField} names wallet {participant.Wallet} more than once.");
            }
        }

        var sum = Money.Sum(Participants.Select(p => p.Share));
        if (!sum.IsOk)
        {
            return sum.Error;
        }

        if (sum.Value != Total)
        {
            return new ProtocolError(ProtocolErrorCode.SharesDoNotSumToTotal, $"the shares add up to {sum.Value.AmountMinor} but the total is {Total.AmountMinor} {Total.Currency} minor units.");
        }

        return wallets.Contains(Leader)
            ? null
            : new ProtocolError(ProtocolErrorCode.LeaderNotParticipant, $"the leader {Leader} is not one of the participants.");
    }

    private static Participant? ReadParticipant(ObjectReader parent, JsonNode? node, string path, Currency currency)
    {
        if (node is not JsonObject obj)
        {
            parent.Fail(ProtocolErrorCode.InvalidField, $"{path} must be a JSON object.");
            return null;
        }

        var reader = new ObjectReader(obj, path);
        var wallet = reader.Hash("wallet");
        var key = reader.Key("key");
        var institution = reader.Name("institution");
        var share = reader.Amount(currency, "shareMinor");
        if (reader.Finish() is { } error)
        {
            parent.Fail(error);
            return null;
        }

        if (!string.Equals(key!.Thumbprint, wallet, StringComparison.Ordinal))
        {
            parent.Fail(ProtocolErrorCode.WalletKeyMismatch, $"{path}.wallet must be the RFC 7638 thumbprint of {path}.key.");
            return null;
        }

        return new Participant(wallet, key, institution, share);
    }
}

/// <summary>A participant's signed yes to one agreement, named by its id. Signed with the participant's key.</summary>
public sealed record Acceptance(string AgreementId, string Wallet)
{
    public JsonObject ToContent() => new()
    {
        ["purpose"] = Purposes.Acceptance,
        ["agreementId"] = AgreementId,
        ["wallet"] = Wallet,
    };

    public static Outcome<Parsed<Acceptance>> Parse(JsonNode? node, string path = "acceptance") =>
        MessageReader.Read(node, path, Purposes.Acceptance, signed: true, reader =>
        {
            var agreementId = reader.Hash("agreementId");
            var wallet = reader.Hash("wallet");
            return reader.Error is null ? new Acceptance(agreementId, wallet) : null;
        });
}

/// <summary>A participant's agreement info (S1, S2): the agreement it saw and its signed acceptance of it.</summary>
public sealed record AgreementInfo(Parsed<Agreement> Agreement, Parsed<Acceptance> Acceptance)
{
    public JsonObject ToJson() => new()
    {
        ["agreement"] = Agreement.Json.DeepClone(),
        ["acceptance"] = Acceptance.Json.DeepClone(),
    };

    public static Outcome<AgreementInfo> Parse(JsonNode? node, string path = "agreementInfo")
    {
        if (node is not JsonObject obj)
        {
            return Outcome<AgreementInfo>.Fail(ProtocolErrorCode.InvalidField, $"{path} must be a JSON object.");
        }

        var reader = new ObjectReader(obj, path);
        var agreementNode = reader.Node("agreement");
        var acceptanceNode = reader.Node("acceptance");
        if (reader.Finish() is { } error)
        {
            return Outcome<AgreementInfo>.Fail(error);
        }

        var agreement = Messages.Agreement.Parse(agreementNode, $"{path}.agreement");
        if (!agreement.IsOk)
        {
            return Outcome<AgreementInfo>.Fail(agreement.Error);
        }

        var acceptance = Messages.Acceptance.Parse(acceptanceNode, $"{path}.acceptance");
        return acceptance.IsOk
            ? Outcome<AgreementInfo>.Ok(new AgreementInfo(agreement.Value, acceptance.Value))
            : Outcome<AgreementInfo>.Fail(acceptance.Error);
    }
}

/// <summary>
/// Step S3: the store's judgement that the agreement infos match. They match when every info carries the
/// same agreement (same id), each participant of it accepted exactly once, each acceptance names that id and
/// is signed by that participant's key, and the agreement has not expired.
/// </summary>
public static class AgreementMatching
{
    public static Outcome<Parsed<Agreement>> Check(IReadOnlyList<AgreementInfo> infos, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(infos);
        if (infos.Count == 0)
        {
            return Outcome<Parsed<Agreement>>.Fail(ProtocolErrorCode.AcceptanceMissing, "no agreement info was given.");
        }

        var agreement = infos[0].Agreement;
        var agreementId = agreement.Id;
        var accepted = new HashSet<string>(StringComparer.Ordinal);
        foreach (var info in infos)
        {
            if (!string.Equals(info.Agreement.Id, agreementId, StringComparison.Ordinal))
            {
                return Outcome<Parsed<Agreement>>.Fail(ProtocolErrorCode.AgreementMismatch, $"the agreement infos differ: agreement {info.Agreement.Id} is not agreement {agreementId}.");
            }

            var acceptance = info.Acceptance.Value;
            if (!string.Equals(acceptance.AgreementId, agreementId, StringComparison.Ordinal))
            {
                return Outcome<Parsed<Agreement>>.Fail(ProtocolErrorCode.AgreementMismatch, $"wallet {acceptance.Wallet} accepted agreement {acceptance.AgreementId}, not {agreementId}.");
            }

            var participant = agreement.Value.FindParticipant(acceptance.Wallet);
            if (participant is null)
            {
                return Outcome<Parsed<Agreement>>.Fail(ProtocolErrorCode.NotAParticipant, $"wallet {acceptance.Wallet} is not a participant of agreement {agreementId}.");
            }

            if (!accepted.Add(acceptance.Wallet))
            {
                return Outcome<Parsed<Agreement>>.Fail(ProtocolErrorCode.DuplicateAcceptance, $"wallet {acceptance.Wallet} accepted more than once.");
            }

            if (info.Acceptance.VerifySignature(participant.Key, Purposes.Acceptance) is { } bad)
            {
                return Outcome<Parsed<Agreement>>.Fail(bad.Code, $"the acceptance of wallet {acceptance.Wallet}: {bad.Detail}");
            }
        }

        var missing = agreement.Value.Participants.FirstOrDefault(p => !accepted.Contains(p.Wallet));
        if (missing is not null)
        {
            return Outcome<Parsed<Agreement>>.Fail(ProtocolErrorCode.AcceptanceMissing, $"wallet {missing.Wallet} has not accepted agreement {agreementId}.");
        }

        return now >= agreement.Value.ExpiresAt
            ? Outcome<Parsed<Agreement>>.Fail(ProtocolErrorCode.AgreementExpired, $"agreement {agreementId} expired at {Timestamps.Format(agreement.Value.ExpiresAt)}.")
            : Outcome<Parsed<Agreement>>.Ok(agreement);
    }
}
