using System.Text.Json.Nodes;
using OrleansSettlement.Sdk;

namespace OrleansSettlement.Service.Tests.Api;

/// <summary>One payer's part in a group checkout driven over HTTP: its share, at which bank, paid with which notes.</summary>
public sealed record ApiShare(ApiPayer Payer, string Institution, long ShareMinor, IReadOnlyList<JsonObject> Notes);

/// <summary>Drives a group checkout through the partner SDK as the apps do, from the proposal to every answered challenge.</summary>
public static class GroupCheckoutDrive
{
    /// <summary>The first share's payer proposes and leads; the others send their contributions to its mailbox (S1); it
    /// submits the bundle (S2); every payer answers its challenge (S5). Returns the agreement's id.</summary>
    public static async Task<string> PayAsync(ApiStore store, string checkoutId, params ApiShare[] shares)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(shares);
        var leader = shares[0].Payer;
        var agreement = (await leader.Wallet.ProposeAgreementAsync(store.Name, checkoutId, [.. shares.Select(s => new ProposedParticipant(s.Payer.Key.PublicKey.ToJson(), s.Institution, s.ShareMinor))])).Agreement!;
        foreach (var share in shares.Skip(1))
        {
            await share.Payer.Wallet.SendContributionAsync(leader.WalletId, await share.Payer.Wallet.ContributionAsync(agreement, share.Notes));
        }

        var agreementId = Protocol.Messages.Agreement.Parse(agreement).Value.Id;
        var bundle = (await leader.Wallet.GetContributionsAsync(agreementId)).Contributions.Append(await leader.Wallet.ContributionAsync(agreement, shares[0].Notes)).ToList();
        await leader.Wallet.SubmitBundleAsync(store.Name, checkoutId, bundle);
        foreach (var share in shares)
        {
            var challenge = Assert.Single((await share.Payer.Wallet.GetChallengesAsync()).Challenges, c => c.CheckoutId == checkoutId);
            await share.Payer.Wallet.AnswerChallengeAsync(challenge, share.Notes);
        }

        return agreementId;
    }
}
