using System.Security.Cryptography;
using System.Text;
using OrleansSettlement.Protocol.Encoding;

namespace OrleansSettlement.Api.Security;

/// <summary>
/// The id of a checkout the API opens: 128 bits of HMAC-SHA-256, keyed by the store's bearer token, over the store's
/// name and the request's Idempotency-Key, in base64url (22 characters). Every attempt of one request names the same
/// checkout, so the checkout's own open write is the request's idempotency record (ADR 0022). The id stays the
/// capability a payment link carries: without the store's token (which the service never stores; it keeps its SHA-256)
/// nobody can compute it, even knowing the store's keys.
/// </summary>
public static class CheckoutIds
{
    /// <summary>Bytes of the HMAC kept in the id: 128 bits, as the random ids before (ADR 0022).</summary>
    public const int IdBytes = 16;

    public static string Derive(string storeToken, string store, string idempotencyKey)
    {
        ArgumentException.ThrowIfNullOrEmpty(storeToken);
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(idempotencyKey);
        var message = Encoding.UTF8.GetBytes(string.Join('\n', "osettle checkout id v1", store, idempotencyKey));
        var mac = HMACSHA256.HashData(Encoding.UTF8.GetBytes(storeToken), message);
        return Base64Url.Encode(mac.AsSpan(0, IdBytes));
    }
}
