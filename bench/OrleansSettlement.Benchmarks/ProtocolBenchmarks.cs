using System.Security.Cryptography;
using System.Text.Json.Nodes;
using BenchmarkDotNet.Attributes;
using OrleansSettlement.Protocol.Canonical;
using OrleansSettlement.Protocol.Crypto;
using OrleansSettlement.Protocol.Messages;
using OrleansSettlement.Protocol.Signing;

namespace OrleansSettlement.Benchmarks;

/// <summary>
/// The CPU costs a checkout is made of: RFC 8785 canonicalization, ES256 signing and verification (raw and as signed
/// objects), and the whole S8 verification of one 3-payer bundle by a bank (agreement infos, notes, requests, the
/// store's challenges, responses: 15 signature verifications), as BankAgreementChecks runs it minus the grain lookups.
/// </summary>
[MemoryDiagnoser]
public class ProtocolBenchmarks : IDisposable
{
    private SampleBundle _bundle = null!;
    private JsonObject _request = null!;
    private JsonObject _unsignedRequest = null!;
    private string _agreementInfoJson = "";
    private byte[] _digest = [];
    private byte[] _signature = [];
    private PublicJwk _payerKey = null!;
    private LocalSigner _signer = null!;

    [GlobalSetup]
    public void Setup()
    {
        _bundle = SampleBundle.CreateAsync().GetAwaiter().GetResult();
        var payer = _bundle.Payers[0];
        _agreementInfoJson = payer.AgreementInfoJson;
        _request = JsonNode.Parse(payer.RequestJson)!.AsObject();
        _unsignedRequest = _request.DeepClone().AsObject();
        _unsignedRequest.Remove(SignedObject.SignatureMember);
        _unsignedRequest.Remove(SignedObject.PurposeMember);
        _payerKey = Agreement.Parse(JsonNode.Parse(_bundle.AgreementJson)).Value.Value.FindParticipant(payer.Wallet)!.Key;
        _signer = LocalSigner.Generate();
        _digest = SHA256.HashData("benchmark"u8);
        _signature = _signer.SignDigestAsync(_digest).AsTask().GetAwaiter().GetResult().SignatureP1363;
    }

    /// <summary>RFC 8785 canonical form of one agreement info (agreement with 3 participants and an acceptance), from its text.</summary>
    [Benchmark]
    public byte[] CanonicalizeAgreementInfo() => Jcs.Canonicalize(_agreementInfoJson).Value;

    /// <summary>The signing input of a signed request (checks, then canonical form without <c>sig</c>).</summary>
    [Benchmark]
    public byte[] SigningInputOfRequest() => SignedObject.SigningInput(_request).Value;

    /// <summary>ES256 over a 32-byte digest (P1363 out).</summary>
    [Benchmark]
    public byte[] SignDigest() => _signer.SignDigestAsync(_digest).AsTask().GetAwaiter().GetResult().SignatureP1363;

    /// <summary>A request signed as a wallet app signs it: copy, purpose, canonical form, SHA-256, ES256.</summary>
    [Benchmark]
    public JsonObject SignRequest() => SignedObject.SignAsync(_unsignedRequest, Purposes.Request, _signer).AsTask().GetAwaiter().GetResult().Value;

    /// <summary>ES256 verification of a 32-byte digest (the protocol library's verifier pool).</summary>
    [Benchmark]
    public bool VerifyDigest() => Es256.VerifyDigest(_signer.PublicKey, _digest, _signature);

    /// <summary>A signed request verified as a bank verifies it: purpose, signature shape, canonical form, SHA-256, ES256.</summary>
    [Benchmark]
    public bool VerifyRequest() => SignedObject.Verify(_request, _payerKey, Purposes.Request) is null;

    /// <summary>A bank's whole S8 verification of one 3-payer bundle, from the JSON texts it receives.</summary>
    [Benchmark]
    public bool VerifyBundle() => BundleVerification.Verify(_bundle) is null;

    public void Dispose()
    {
        _bundle?.Dispose();
        _signer?.Dispose();
        GC.SuppressFinalize(this);
    }
}
