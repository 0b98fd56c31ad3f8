using System.Text.Json.Nodes;
using OrleansSettlement.Protocol.Crypto;
using OrleansSettlement.Protocol.Messages;
using OrleansSettlement.Protocol.Model;
using OrleansSettlement.Protocol.Signing;

namespace OrleansSettlement.Protocol.Tests;

public sealed class MessagesTests : IDisposable
{
    private readonly MessagesKit _kit = new();

    public void Dispose() => _kit.Dispose();

    private static JsonObject Json(JsonObject content) => (JsonObject)JsonNode.Parse(content.ToJsonString())!;

    [Fact]
    public void AgreementParse_ValidAgreement_RoundTripsAndHasAStableId()
    {
        var content = _kit.Agreement().ToContent();
        var first = Agreement.Parse(Json(content));
        Assert.True(first.IsOk, first.Error?.ToString());
        var reordered = new JsonObject(content.Reverse().Select(p => KeyValuePair.Create(p.Key, p.Value?.DeepClone())));
        var second = Agreement.Parse(reordered).Value;
        Assert.Equal(first.Value.Id, second.Id);
        Assert.Equal(43, first.Value.Id.Length);
        Assert.Equal(12000, first.Value.Value.Total.AmountMinor);
    }

    public static TheoryData<string, ProtocolErrorCode> BrokenAgreements => new()
    {
        { "shares", ProtocolErrorCode.SharesDoNotSumToTotal },
        { "duplicateParticipant", ProtocolErrorCode.DuplicateParticipant },
        { "leader", ProtocolErrorCode.LeaderNotParticipant },
        { "walletKey", ProtocolErrorCode.WalletKeyMismatch },
        { "unknownField", ProtocolErrorCode.UnknownField },
        { "missingField", ProtocolErrorCode.MissingField },
        { "purpose", ProtocolErrorCode.WrongPurpose },
        { "version", ProtocolErrorCode.UnsupportedVersion },
        { "oneParticipant", ProtocolErrorCode.InvalidField },
        { "fraction", ProtocolErrorCode.NumberNotInteger },
        { "huge", ProtocolErrorCode.IntegerOutOfRange },
        { "zeroShare", ProtocolErrorCode.InvalidField },
        { "currency", ProtocolErrorCode.InvalidCurrency },
        { "timestamp", ProtocolErrorCode.InvalidTimestamp },
        { "privateKey", ProtocolErrorCode.InvalidKey },
    };

    [Theory]
    [MemberData(nameof(BrokenAgreements))]
    public void AgreementParse_BrokenAgreement_IsRefusedWithItsCode(string breakage, ProtocolErrorCode expected)
    {
        var json = Json(_kit.Agreement().ToContent());
        var participants = json["participants"]!.AsArray();
        switch (breakage)
        {
            case "shares": json["totalMinor"] = 12001; break;
            case "duplicateParticipant": participants[1] = participants[0]!.DeepClone(); json["totalMinor"] = 9000; break;
            case "leader": json["leader"] = _kit.Banks["bank-a"].PublicKey.Thumbprint; break;
            case "walletKey": participants[0]!["wallet"] = _kit.Wallet(1); break;
            case "unknownField": json["discount"] = 5; break;
            case "missingField": json.Remove("itemsHash"); break;
            case "purpose": json["purpose"] = Purposes.Note; break;
            case "version": json["version"] = 2; break;
            case "oneParticipant": participants.RemoveAt(2); participants.RemoveAt(1); json["totalMinor"] = 4000; break;
            case "fraction": json["totalMinor"] = JsonNode.Parse("12000.5"); break;
            case "huge": json["totalMinor"] = 9007199254740992; break;
            case "zeroShare": participants[0]!["shareMinor"] = 0; break;
            case "currency": json["currency"] = "eur"; break;
            case "timestamp": json["expiresAt"] = "2026-11-26T10:10:00.5Z"; break;
            case "privateKey": participants[0]!["key"]!["d"] = participants[0]!["key"]!["x"]!.GetValue<string>(); break;
            default: throw new ArgumentOutOfRangeException(nameof(breakage));
        }

        var parsed = Agreement.Parse(json);
        Assert.False(parsed.IsOk);
        Assert.Equal(expected, parsed.Error!.Code);
        Assert.False(string.IsNullOrWhiteSpace(parsed.Error.Detail));
    }

    [Fact]
    public async Task AgreementMatching_AllPayersAcceptedTheSameAgreement_Matches()
    {
        var infos = new[] { await _kit.Info(0), await _kit.Info(1), await _kit.Info(2) };
        var matched = AgreementMatching.Check(infos, MessagesKit.Now);
        Assert.True(matched.IsOk, matched.Error?.ToString());
        Assert.Equal(infos[0].Agreement.Id, matched.Value.Id);
    }

    [Fact]
    public async Task AgreementMatching_OnePayerSawAnotherAgreement_IsAgreementMismatch()
    {
        var other = _kit.ParsedAgreement(_kit.Agreement(a => a with { OrderRef = "order-43" }));
        var infos = new[] { await _kit.Info(0), await _kit.Info(1, other), await _kit.Info(2) };
        Assert.Equal(ProtocolErrorCode.AgreementMismatch, AgreementMatching.Check(infos, MessagesKit.Now).Error!.Code);
    }

    [Fact]
    public async Task AgreementMatching_APayerDidNotAccept_IsAcceptanceMissing()
    {
        var infos = new[] { await _kit.Info(0), await _kit.Info(1) };
        Assert.Equal(ProtocolErrorCode.AcceptanceMissing, AgreementMatching.Check(infos, MessagesKit.Now).Error!.Code);
    }

    [Fact]
    public async Task AgreementMatching_AcceptanceTwice_IsDuplicateAcceptance()
    {
        var infos = new[] { await _kit.Info(0), await _kit.Info(1), await _kit.Info(1), await _kit.Info(2) };
        Assert.Equal(ProtocolErrorCode.DuplicateAcceptance, AgreementMatching.Check(infos, MessagesKit.Now).Error!.Code);
    }

    [Fact]
    public async Task AgreementMatching_AcceptanceSignedByAnotherKey_IsBadSignature()
    {
        var agreement = _kit.ParsedAgreement();
        var forged = await MessagesKit.Sign(new Acceptance(agreement.Id, _kit.Wallet(1)).ToContent(), Purposes.Acceptance, _kit.Payers[0]);
        var infos = new[] { await _kit.Info(0), new AgreementInfo(agreement, Acceptance.Parse(forged).Value), await _kit.Info(2) };
        Assert.Equal(ProtocolErrorCode.BadSignature, AgreementMatching.Check(infos, MessagesKit.Now).Error!.Code);
    }

    [Fact]
    public async Task AgreementMatching_AfterExpiry_IsAgreementExpired()
    {
        var infos = new[] { await _kit.Info(0), await _kit.Info(1), await _kit.Info(2) };
        Assert.Equal(ProtocolErrorCode.AgreementExpired, AgreementMatching.Check(infos, MessagesKit.Now.AddMinutes(10)).Error!.Code);
    }

    [Fact]
    public async Task NoteCheck_ValidNote_Passes()
    {
        var note = await _kit.Note(0, 5000);
        Assert.Null(Note.Check(note, "bank-a", _kit.Banks["bank-a"].PublicKey, _kit.Wallet(0), MessagesKit.Now));
    }

    public static TheoryData<string, ProtocolErrorCode> BrokenNotes => new()
    {
        { "expired", ProtocolErrorCode.NoteExpired },
        { "notYetValid", ProtocolErrorCode.NoteNotYetValid },
        { "wrongHolder", ProtocolErrorCode.NoteWrongHolder },
        { "wrongIssuer", ProtocolErrorCode.NoteWrongIssuer },
        { "unknownKey", ProtocolErrorCode.UnknownKey },
        { "forged", ProtocolErrorCode.BadSignature },
        { "tampered", ProtocolErrorCode.BadSignature },
    };

    [Theory]
    [MemberData(nameof(BrokenNotes))]
    public async Task NoteCheck_BrokenNote_IsRefusedWithItsCode(string breakage, ProtocolErrorCode expected)
    {
        var note = await _kit.Note(0, 5000);
        var issuer = "bank-a";
        var key = _kit.Banks["bank-a"].PublicKey;
        var holder = _kit.Wallet(0);
        var now = MessagesKit.Now;
        switch (breakage)
        {
            case "expired": now = now.AddDays(31); break;
            case "notYetValid": now = now.AddDays(-2); break;
            case "wrongHolder": holder = _kit.Wallet(1); break;
            case "wrongIssuer": issuer = "bank-b"; break;
            case "unknownKey": key = _kit.Banks["bank-b"].PublicKey; break;
            case "forged":
                // Signed by another key that claims the issuer's kid.
                var content = note.Value.ToContent();
                note = Note.Parse(await MessagesKit.Sign(content, Purposes.Note, _kit.Banks["bank-b"])).Value;
                break;
            case "tampered":
                var json = (JsonObject)note.Json.DeepClone();
                json["amountMinor"] = 50000;
                note = Note.Parse(json).Value;
                break;
            default: throw new ArgumentOutOfRangeException(nameof(breakage));
        }

        Assert.Equal(expected, Note.Check(note, issuer, key, holder, now)?.Code);
    }

    [Fact]
    public async Task RequestCheck_ValidRequest_Passes()
    {
        var notes = new[] { (await _kit.Note(0, 2500)).Value, (await _kit.Note(0, 2500)).Value };
        var request = await _kit.Request(0, notes);
        Assert.Null(RequestInfo.Check(request, _kit.ParsedAgreement(), notes));
    }

    public static TheoryData<string, ProtocolErrorCode> BrokenRequests => new()
    {
        { "amount", ProtocolErrorCode.AmountNotShare },
        { "payee", ProtocolErrorCode.PayeeMismatch },
        { "institution", ProtocolErrorCode.InstitutionMismatch },
        { "insufficient", ProtocolErrorCode.InsufficientNotes },
        { "otherHoldersNote", ProtocolErrorCode.NoteWrongHolder },
        { "otherBanksNote", ProtocolErrorCode.NoteWrongIssuer },
        { "notesDiffer", ProtocolErrorCode.NotesMismatch },
        { "otherAgreement", ProtocolErrorCode.AgreementMismatch },
        { "signedByAnother", ProtocolErrorCode.BadSignature },
    };

    [Theory]
    [MemberData(nameof(BrokenRequests))]
    public async Task RequestCheck_BrokenRequest_IsRefusedWithItsCode(string breakage, ProtocolErrorCode expected)
    {
        var agreement = _kit.ParsedAgreement();
        IReadOnlyList<Note> notes = [(await _kit.Note(0, 5000)).Value];
        Func<RequestInfo, RequestInfo>? change = null;
        switch (breakage)
        {
            case "amount": change = r => r with { Amount = Money.Create("EUR", 3999).Value }; break;
            case "payee": change = r => r with { Payee = new Payee("bank-c", "mallory") }; break;
            case "institution": change = r => r with { Institution = "bank-b" }; break;
            case "insufficient": notes = [(await _kit.Note(0, 3999)).Value]; break;
            case "otherHoldersNote": notes = [(await _kit.Note(1, 5000, issuer: "bank-a")).Value]; break;
            case "otherBanksNote": notes = [(await _kit.Note(0, 5000, issuer: "bank-b")).Value]; break;
            case "notesDiffer": change = r => r with { Notes = [BinaryIds.NewRandom()] }; break;
            case "otherAgreement": change = r => r with { AgreementId = Encoding.Sha256Id.Of("other"u8) }; break;
            case "signedByAnother": break;
            default: throw new ArgumentOutOfRangeException(nameof(breakage));
        }

        var request = await _kit.Request(0, notes, agreement, change);
        if (breakage == "signedByAnother")
        {
            request = RequestInfo.Parse(await MessagesKit.Sign(request.Value.ToContent(), Purposes.Request, _kit.Payers[1])).Value;
        }

        Assert.Equal(expected, RequestInfo.Check(request, agreement, notes)?.Code);
    }

    [Fact]
    public async Task ResponseCheck_ValidResponse_PassesForStoreAndBank()
    {
        var agreement = _kit.ParsedAgreement();
        var challenge = await _kit.Challenge(1, agreement);
        string[] notes = [BinaryIds.NewRandom()];
        var response = await _kit.Respond(1, challenge, notes);
        var participant = agreement.Value.Participants[1];
        Assert.Null(Response.Check(response, challenge, _kit.StoreKey.PublicKey, participant, notes, MessagesKit.Now.AddSeconds(5)));
        Assert.Null(Response.Check(response, challenge, _kit.StoreKey.PublicKey, participant, notes, receivedAt: null));
    }

    public static TheoryData<string, ProtocolErrorCode> BrokenResponses => new()
    {
        { "signedByAnother", ProtocolErrorCode.BadSignature },
        { "staleChallenge", ProtocolErrorCode.ChallengeMismatch },
        { "late", ProtocolErrorCode.ChallengeExpired },
        { "otherNotes", ProtocolErrorCode.NotesMismatch },
        { "challengeNotFromStore", ProtocolErrorCode.UnknownKey },
        { "otherWallet", ProtocolErrorCode.ChallengeMismatch },
    };

    [Theory]
    [MemberData(nameof(BrokenResponses))]
    public async Task ResponseCheck_BrokenResponse_IsRefusedWithItsCode(string breakage, ProtocolErrorCode expected)
    {
        var agreement = _kit.ParsedAgreement();
        var challenge = await _kit.Challenge(1, agreement);
        string[] notes = [BinaryIds.NewRandom()];
        var response = await _kit.Respond(1, challenge, notes);
        var participant = agreement.Value.Participants[1];
        var storeKey = _kit.StoreKey.PublicKey;
        var receivedAt = MessagesKit.Now.AddSeconds(5);
        switch (breakage)
        {
            case "signedByAnother": response = await _kit.Respond(1, challenge, notes, _kit.Payers[0]); break;
            case "staleChallenge": response = await _kit.Respond(1, await _kit.Challenge(1, agreement), notes); break;
            case "late": receivedAt = challenge.Value.ExpiresAt; break;
            case "otherNotes": response = await _kit.Respond(1, challenge, [BinaryIds.NewRandom()]); break;
            case "challengeNotFromStore": storeKey = _kit.Payers[2].PublicKey; break;
            case "otherWallet": participant = agreement.Value.Participants[2]; break;
            default: throw new ArgumentOutOfRangeException(nameof(breakage));
        }

        Assert.Equal(expected, Response.Check(response, challenge, storeKey, participant, notes, receivedAt)?.Code);
    }

    [Theory]
    [InlineData("valid", null, true)]
    [InlineData("invalid", "note_expired", true)]
    [InlineData("invalid", null, false)]
    [InlineData("valid", "note_expired", false)]
    [InlineData("maybe", null, false)]
    [InlineData("invalid", "Note Expired", false)]
    public async Task VerificationResultParse_VerdictAndReasonGoTogether(string verdict, string? reason, bool ok)
    {
        var content = new VerificationResult(Encoding.Sha256Id.Of("a"u8), "bank-a", _kit.Banks["bank-a"].PublicKey.Thumbprint, Verdict.Valid, null, MessagesKit.Now).ToContent();
        content["verdict"] = verdict;
        if (reason is not null)
        {
            content["reason"] = reason;
        }

        var signed = await MessagesKit.Sign(content, Purposes.VerificationResult, _kit.Banks["bank-a"]);
        var parsed = VerificationResult.Parse(signed);
        Assert.Equal(ok, parsed.IsOk);
        if (ok)
        {
            Assert.Null(parsed.Value.VerifySignature(_kit.Banks["bank-a"].PublicKey, Purposes.VerificationResult));
        }
    }

    [Fact]
    public async Task Parse_SignedMessageWithoutSig_IsMissingSignature()
    {
        var note = await _kit.Note(0, 100);
        var json = (JsonObject)note.Json.DeepClone();
        json.Remove(SignedObject.SignatureMember);
        Assert.Equal(ProtocolErrorCode.MissingSignature, Note.Parse(json).Error!.Code);
    }

    [Fact]
    public async Task VerifySignature_NoteSignatureReplayedAsAnotherMessage_Fails()
    {
        // A signature is bound to its purpose: the same members under another purpose never verify.
        var note = await _kit.Note(0, 100);
        var json = (JsonObject)note.Json.DeepClone();
        json["purpose"] = Purposes.Request;
        Assert.NotNull(SignedObject.Verify(json, _kit.Banks["bank-a"].PublicKey, Purposes.Request));
    }

    [Fact]
    public void PublicJwkRoundTrip_ThroughAnAgreement_KeepsTheThumbprint()
    {
        var agreement = _kit.ParsedAgreement();
        Assert.Equal(_kit.Wallet(2), agreement.Value.Participants[2].Key.Thumbprint);
        Assert.True(PublicJwk.Parse(agreement.Value.Participants[2].Key.ToJson()).IsOk);
    }
}
