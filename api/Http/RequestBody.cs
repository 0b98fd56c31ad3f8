using System.Buffers;
using OrleansSettlement.Protocol;

namespace OrleansSettlement.Api.Http;

/// <summary>Reads a request body into memory, refusing it (<c>payload_too_large</c>) once it passes a limit.</summary>
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

        return Outcome<byte[]>.Ok(buffer.WrittenSpan.ToArray());
    }

    private static Outcome<byte[]> TooLarge(int maxBytes) =>
        Outcome<byte[]>.Fail(ProtocolErrorCode.PayloadTooLarge, $"the request body is larger than the {maxBytes} bytes this route accepts.");
}
