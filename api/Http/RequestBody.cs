using System.Buffers;
using OrleansSettlement.Protocol;

namespace OrleansSettlement.Api.Http;

/// <summary>
/// Reads a request body into memory, refusing it (<c>payload_too_large</c>) once it passes a limit, and refusing a body
/// whose HTTP framing is broken (a bad chunk, a body that ends before its Content-Length) as <c>malformed_json</c>
/// instead of letting the server's exception become a 500.
/// </summary>
public static class RequestBody
{
    public static async Task<Outcome<byte[]>> ReadAsync(HttpRequest request, int maxBytes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.ContentLength > maxBytes)
        {
            return TooLarge(maxBytes);
        }

        var buffer = new ArrayBufferWriter<byte>(request.ContentLength is > 0 and var length ? (int)length : 4096);
        try
        {
            while (true)
            {
                var memory = buffer.GetMemory(8192);
                var read = await request.Body.ReadAsync(memory, cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }

                buffer.Advance(read);
                if (buffer.WrittenCount > maxBytes)
                {
                    return TooLarge(maxBytes);
                }
            }
        }
        catch (BadHttpRequestException bad) when (bad.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return TooLarge(maxBytes);
        }
        catch (Exception broken) when (broken is BadHttpRequestException or IOException)
        {
            // Kestrel throws these for broken framing (an IOException wraps, for one, a chunk size past 2^63); a client that
            // went away throws them too, and then nobody reads this answer.
            return Outcome<byte[]>.Fail(ProtocolErrorCode.MalformedJson, "the request body could not be read: its HTTP framing (chunked encoding or Content-Length) is broken.");
        }

        return Outcome<byte[]>.Ok(buffer.WrittenSpan.ToArray());
    }

    private static Outcome<byte[]> TooLarge(int maxBytes) =>
        Outcome<byte[]>.Fail(ProtocolErrorCode.PayloadTooLarge, $"the request body is larger than the {maxBytes} bytes this route accepts.");
}
