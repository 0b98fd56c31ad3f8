using System.Diagnostics;
using System.Text.Json.Nodes;
using OrleansSettlement.Bench.Hosting;
using OrleansSettlement.Bench.Measure;
using OrleansSettlement.Contracts;
using OrleansSettlement.Protocol.Messages;
using OrleansSettlement.Protocol.Model;
using OrleansSettlement.Protocol.Signing;

namespace OrleansSettlement.Bench.Load;

/// <summary>What one checkout of the load did: how it ended and its S2-to-S10 latency (and, on the grain path, its id and
/// when S2 was submitted, for <see cref="Measure.TailProbe"/>).</summary>
internal sealed record CheckoutSample(int Index, CheckoutEnd? End, double LatencyMs, string? Failure, long EndedAt)
{
    public string? CheckoutId { get; init; }

    public DateTime SubmittedUtc { get; init; }
}

/// <summary>
/// Drives one group checkout through the grains as the store's and the payers' apps do (the grain path: the calls the
/// API would make for them, the apps' signatures made here with each payer's own key): the store opens the checkout,
/// the leader proposes the agreement, the other payers send their contributions to the leader's mailbox (S1), the
/// leader submits the bundle (S2), every payer reads its challenge and answers at once (S4, S5), and the bench waits
/// for the outcome (S10) through <see cref="OutcomeSignal"/>, without polling.
/// </summary>
internal sealed class CheckoutDriver(BenchWorld world, OutcomeSignal outcomes, TimeSpan outcomeTimeout)
{
    private const string Currency = "EUR";

    private IGrainFactory Grains => world.Grains;

    public async Task<CheckoutSample> RunAsync(int index)
    {
        var payers = world.GroupOf(index) ?? throw new InvalidOperationException("no payers were prepared.");
        var store = world.StoreOf(index);
        var checkoutId = world.NewCheckoutId(index);
        var key = GrainKeys.Checkout(store.Id, checkoutId);
        var ended = outcomes.WhenEnded(key);
        try
        {
            var notes = new string[payers.Length];
            for (var j = 0; j < payers.Length; j++)
            {
                notes[j] = payers[j].Notes.TryDequeue(out var note) ? note : throw new InvalidOperationException("a payer ran out of notes.");
            }

            var leader = (index / Math.Max(1, world.Groups)) % payers.Length;
            var checkout = Grains.GetGrain<ICheckoutGrain>(key);
            Ok(await checkout.Open("order-" + checkoutId, Currency, world.Layout.TotalMinor, DateTimeOffset.UtcNow.AddMinutes(10), ItemsHash).ConfigureAwait(false), "open");
            var proposed = payers.Select((p, j) => new ProposedParticipant(p.PublicJwkJson, p.Institution, BenchLayout.ShareOf(j))).ToList();
            var view = Ok(await checkout.ProposeAgreement(payers[leader].Wallet, proposed).ConfigureAwait(false), "propose");
            var agreement = Agreement.Parse(JsonNode.Parse(view.AgreementJson!)).Value;
            var leaderWallet = Grains.GetGrain<IWalletGrain>(payers[leader].Wallet);

            // S1: every other payer's app sends its contribution to the leader's mailbox, each on its own.
            await Task.WhenAll(Enumerable.Range(0, payers.Length).Where(j => j != leader).Select(async j =>
            {
                var contribution = await ContributionAsync(payers[j], j, agreement, notes[j]).ConfigureAwait(false);
                Ok(await leaderWallet.ReceiveContribution(contribution).ConfigureAwait(false), "S1");
            })).ConfigureAwait(false);

            // S2: the leader's app reads its mailbox and submits the bundle with its own contribution.
            var received = await leaderWallet.GetContributions(agreement.Id).ConfigureAwait(false);
            var own = await ContributionAsync(payers[leader], leader, agreement, notes[leader]).ConfigureAwait(false);
            var submittedUtc = DateTime.UtcNow;
            var submitted = Stopwatch.GetTimestamp();
            Ok(await checkout.SubmitBundle(payers[leader].Wallet, [.. received.Where(c => c.Wallet != payers[leader].Wallet), own]).ConfigureAwait(false), "S2");

            // S4, S5: every payer's app finds its challenge in its mailbox and answers at once.
            await Task.WhenAll(payers.Select(async (payer, j) =>
            {
                var challenges = await Grains.GetGrain<IWalletGrain>(payer.Wallet).GetChallenges().ConfigureAwait(false);
                var challenge = challenges.FirstOrDefault(c => c.CheckoutId == checkoutId && c.Store == store.Id)
                    ?? throw new InvalidOperationException("S4: no challenge reached a payer's mailbox.");
                var response = await ResponseAsync(payer, challenge.ChallengeJson, notes[j]).ConfigureAwait(false);
                Ok(await checkout.SubmitResponse(payer.Wallet, response).ConfigureAwait(false), "S5");
            })).ConfigureAwait(false);

            var end = await ended.WaitAsync(outcomeTimeout).ConfigureAwait(false);
            var now = Stopwatch.GetTimestamp();
            return new CheckoutSample(index, end, Stopwatch.GetElapsedTime(submitted, now).TotalMilliseconds, null, now)
            {
                CheckoutId = checkoutId,
                SubmittedUtc = submittedUtc,
            };
        }
        catch (TimeoutException)
        {
            return new CheckoutSample(index, null, 0, $"no outcome within {outcomeTimeout.TotalSeconds} s", Stopwatch.GetTimestamp());
        }
        catch (Exception failure) when (failure is InvalidOperationException or OrleansException or TimeoutException)
        {
            return new CheckoutSample(index, null, 0, failure.Message, Stopwatch.GetTimestamp());
        }
        finally
        {
            outcomes.Forget(key);
        }
    }

    private static string ItemsHash { get; } = Protocol.Encoding.Sha256Id.Of("bench items"u8.ToArray());

    private static Task<Contribution> ContributionAsync(BenchPayer payer, int j, Parsed<Agreement> agreement, string note) =>
        AppSide.RunAsync(async () =>
        {
            var acceptance = await SignAsync(new Acceptance(agreement.Id, payer.Wallet).ToContent(), Purposes.Acceptance, payer).ConfigureAwait(false);
            var info = new JsonObject { ["agreement"] = agreement.Json.DeepClone(), ["acceptance"] = acceptance }.ToJsonString();
            var request = new RequestInfo(agreement.Id, payer.Wallet, payer.Institution, [SerialOf(note)],
                Money.Create(Currency, BenchLayout.ShareOf(j)).Value, agreement.Value.Payee, payer.Wallet);
            var signedRequest = await SignAsync(request.ToContent(), Purposes.Request, payer).ConfigureAwait(false);
            return new Contribution(payer.Wallet, info, signedRequest.ToJsonString(), [note]);
        });

    private static Task<string> ResponseAsync(BenchPayer payer, string challengeJson, string note) =>
        AppSide.RunAsync(async () =>
        {
            var challenge = Challenge.Parse(JsonNode.Parse(challengeJson)).Value;
            var response = new Response(challenge.Value.AgreementId, payer.Wallet, challenge.Id, challenge.Value.Nonce, [SerialOf(note)]);
            return (await SignAsync(response.ToContent(), Purposes.Response, payer).ConfigureAwait(false)).ToJsonString();
        });

    private static string SerialOf(string noteJson) => Note.Parse(JsonNode.Parse(noteJson)).Value.Value.Serial;

    private static async Task<JsonObject> SignAsync(JsonObject content, string purpose, BenchPayer payer)
    {
        var signed = await SignedObject.SignAsync(content, purpose, payer.Key).ConfigureAwait(false);
        return signed.IsOk ? signed.Value : throw new InvalidOperationException($"signing failed: {signed.Error}");
    }

    private static T Ok<T>(Reply<T> reply, string step) =>
        reply.IsOk ? reply.Value! : throw new InvalidOperationException($"{step} was refused: {reply.Refusal!.Code}: {reply.Refusal.Detail}");
}
