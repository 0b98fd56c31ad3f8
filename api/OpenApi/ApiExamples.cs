using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using OrleansSettlement.Api.Http;

namespace OrleansSettlement.Api.OpenApi;

/// <summary>
/// Example request and response bodies for the OpenAPI document, built from the body types themselves (their JSON
/// members as the API names them) with values from the worked examples of docs/protocol.md, section 5: alice (bank-a)
/// and bob pay corner-cafe 12.00 EUR. Built rather than written out per type so that a type added later gets an example
/// too; a member whose name is not known here gets a value of its JSON type.
/// </summary>
internal static class ApiExamples
{
    private const string AliceWallet = "AKCVc_IHCDovnMw0A9TShxitTEvQALPqtmlHfEhmSRE";
    private const string AgreementId = "ndh_ZXJQBDAMgrJJHW_I6RhPXs2JYp0HeeW5QqjYLYY";
    private const string Timestamp = "2026-11-26T10:00:00Z";
    private const int MaxDepth = 8;

    /// <summary>The API's JSON settings with reflection metadata, to walk the members of a body type.</summary>
    private static readonly JsonSerializerOptions Metadata = new(ApiJson.Options) { TypeInfoResolver = new DefaultJsonTypeInfoResolver() };

    private const string AliceKey = """{"crv":"P-256","kty":"EC","x":"JwsRIxTblWQwLqsE7JsU0OZR5ElXHMv4en7aJxCbVdA","y":"qpTijlsA4ArO4qtz3Wmz5uu6SVhTEXzNx5eOFaHifx8"}""";

    private const string BobKey = """{"crv":"P-256","kty":"EC","x":"iHH3J6cBeWcIZP7U5Teo0xVpARudzxGlBradgXuFRB4","y":"VjauqBNOoisBk3hUcgKhLdJZ4f8md-bzp9YF7y4isR0"}""";

    private const string BankKey = """{"crv":"P-256","kty":"EC","x":"48TPAaOUQkoyLZNfXiT7YtFG1l3mqd86VWxiPfxWWE8","y":"tpyJs38P0mwTXc1Lf9_TqCdf-zSDOXEHZyjrUepz9cY"}""";

    private const string Agreement = """{"currency":"EUR","expiresAt":"2026-11-26T10:15:00Z","itemsHash":"0cIXtMpnkmEKKQLtNFxYIc1ZBFo3tQhYYdWlLK9PXTw","leader":"AKCVc_IHCDovnMw0A9TShxitTEvQALPqtmlHfEhmSRE","orderRef":"order-2026-0042","participants":[{"institution":"bank-a","key":{"crv":"P-256","kty":"EC","x":"JwsRIxTblWQwLqsE7JsU0OZR5ElXHMv4en7aJxCbVdA","y":"qpTijlsA4ArO4qtz3Wmz5uu6SVhTEXzNx5eOFaHifx8"},"shareMinor":700,"wallet":"AKCVc_IHCDovnMw0A9TShxitTEvQALPqtmlHfEhmSRE"},{"institution":"bank-b","key":{"crv":"P-256","kty":"EC","x":"iHH3J6cBeWcIZP7U5Teo0xVpARudzxGlBradgXuFRB4","y":"VjauqBNOoisBk3hUcgKhLdJZ4f8md-bzp9YF7y4isR0"},"shareMinor":500,"wallet":"T0Q6IboOKSG6OXepUdN7tjM5XOGpdNzJ0NJEYof3X1Q"}],"payee":{"account":"corner-cafe","institution":"bank-c"},"purpose":"osettle.agreement.v1","store":"corner-cafe","totalMinor":1200,"version":1}""";

    private const string Acceptance = """{"agreementId":"ndh_ZXJQBDAMgrJJHW_I6RhPXs2JYp0HeeW5QqjYLYY","purpose":"osettle.acceptance.v1","wallet":"AKCVc_IHCDovnMw0A9TShxitTEvQALPqtmlHfEhmSRE","sig":"pFXcx_9Ipcl2BH5B7MteX2YsVgW8SzgY3p9phpGYzgMFo8NUFHY1kirDXQ112F4rbUczvwo9xjnNpCHLk8NLCA"}""";

    private const string Note = """{"amountMinor":1000,"currency":"EUR","expiresAt":"2027-02-23T10:00:00Z","holder":"AKCVc_IHCDovnMw0A9TShxitTEvQALPqtmlHfEhmSRE","issuedAt":"2026-11-25T10:00:00Z","issuer":"bank-a","kid":"udJrl1PIJmNEsXESUEI6W-KiqqJCislAk742KXZKamo","purpose":"osettle.note.v1","serial":"ABEiM0RVZneImaq7zN3u_w","version":1,"sig":"1rclmrUMZ_Hd9gDHKGZH76GPEGGbDdcWpeNQ9mhvbKwmPdXu1hWGc1f8rP0HqioxctohSUyiiMWb3wYTZoQbFg"}""";

    private const string RequestInfo = """{"agreementId":"ndh_ZXJQBDAMgrJJHW_I6RhPXs2JYp0HeeW5QqjYLYY","amountMinor":700,"changeTo":"AKCVc_IHCDovnMw0A9TShxitTEvQALPqtmlHfEhmSRE","currency":"EUR","institution":"bank-a","notes":["ABEiM0RVZneImaq7zN3u_w"],"payee":{"account":"corner-cafe","institution":"bank-c"},"purpose":"osettle.request.v1","wallet":"AKCVc_IHCDovnMw0A9TShxitTEvQALPqtmlHfEhmSRE","sig":"_jyH8SWkXQ7naqJP9znmxEPSoYCg2AGWsKobxxDghk6o2gxalJ3WuNK7zubXO0n6jvzyxnje1eKLT393f8AtMQ"}""";

    private const string Challenge = """{"agreementId":"ndh_ZXJQBDAMgrJJHW_I6RhPXs2JYp0HeeW5QqjYLYY","expiresAt":"2026-11-26T10:03:00Z","issuedAt":"2026-11-26T10:01:00Z","kid":"cKNxW8x91zq9bE29CG9aEv5Uj_8C2XUKLMAlQQZ2bec","nonce":"Dx4tPEtaaXiHlqW0w9Lh8A","purpose":"osettle.challenge.v1","store":"corner-cafe","wallet":"AKCVc_IHCDovnMw0A9TShxitTEvQALPqtmlHfEhmSRE","sig":"SWH1c1JgVpFP35ViGV0KcTZXK97eN2690dJSUqxGZcg2-fmkvBdjlsqC9-oWrlBetwXh0p0dyHpuUHofEBi-Ig"}""";

    private const string Response = """{"agreementId":"ndh_ZXJQBDAMgrJJHW_I6RhPXs2JYp0HeeW5QqjYLYY","challengeId":"LX8wZJh6TPgLqkYM4slrtpKA3c0_ZE-_DaASmJy-zCM","nonce":"Dx4tPEtaaXiHlqW0w9Lh8A","notes":["ABEiM0RVZneImaq7zN3u_w"],"purpose":"osettle.response.v1","wallet":"AKCVc_IHCDovnMw0A9TShxitTEvQALPqtmlHfEhmSRE","sig":"joJUDJLNpMiEFOMAbib4ao8HfRT74GD4EKjAsSXE9EkN-O_ZUm6_C_HoXinLIP5AcWQcQD3_tZ7RcHfbKhJLNQ"}""";

    /// <summary>Values by member name (as the API spells it); a member's value does not depend on the type it sits in.</summary>
    private static readonly Dictionary<string, Func<JsonNode?>> ByName = new(StringComparer.Ordinal)
    {
        ["institution"] = () => "bank-a",
        ["account"] = () => "alice",
        ["store"] = () => "corner-cafe",
        ["wallet"] = () => AliceWallet,
        ["owner"] = () => AliceWallet,
        ["ownerKind"] = () => "wallet",
        ["displayName"] = () => "Corner Cafe",
        ["currency"] = () => "EUR",
        ["orderRef"] = () => "order-2026-0042",
        ["amountMinor"] = () => 1000,
        ["totalMinor"] = () => 1200,
        ["shareMinor"] = () => 700,
        ["paidMinor"] = () => 700,
        ["changeMinor"] = () => 300,
        ["balanceMinor"] = () => 8000,
        ["depositedMinor"] = () => 10000,
        ["withdrawnMinor"] = () => 2000,
        ["expiresInSeconds"] = () => 900,
        ["contributionsHeld"] = () => 2,
        ["denominationsMinor"] = () => new JsonArray(1000, 500),
        ["itemsHash"] = () => "0cIXtMpnkmEKKQLtNFxYIc1ZBFo3tQhYYdWlLK9PXTw",
        ["operatorTokenSha256"] = () => "q5Yv1Zh1u9Cv_Lh0XbJ7oTg1cT8wq4Vb9v0b3gZ6sQk",
        ["storeTokenSha256"] = () => "kD3p9bV0s1yA7cR2eT5uW8xZ4mN6jL0hG3fB1qP9vXo",
        ["agreementId"] = () => AgreementId,
        ["checkoutId"] = () => "Q2hlY2tvdXQtMDAwMDAwMQ",
        ["kid"] = () => "udJrl1PIJmNEsXESUEI6W-KiqqJCislAk742KXZKamo",
        ["status"] = () => "active",
        ["state"] = () => "outstanding",
        ["stage"] = () => "settled",
        ["step"] = () => "S10",
        ["code"] = () => "checkout_expired",
        ["detail"] = () => "the checkout expired before it reached the banks.",
        ["key"] = () => JsonNode.Parse(AliceKey),
        ["jwk"] = () => JsonNode.Parse(BankKey),
        ["messagingKey"] = () => PublishedKey(BankKey),
        ["challengeKey"] = () => PublishedKey(BankKey),
        ["noteKeys"] = () => new JsonArray(PublishedKey(BankKey)),
        ["keys"] = () => new JsonArray(JwksKey()),
        ["agreement"] = () => JsonNode.Parse(Agreement),
        ["agreementInfo"] = () => new JsonObject { ["agreement"] = JsonNode.Parse(Agreement), ["acceptance"] = JsonNode.Parse(Acceptance) },
        ["requestInfo"] = () => JsonNode.Parse(RequestInfo),
        ["note"] = () => JsonNode.Parse(Note),
        ["notes"] = () => new JsonArray(JsonNode.Parse(Note)),
        ["changeNotes"] = () => new JsonArray(JsonNode.Parse(Note)),
        ["challenge"] = () => JsonNode.Parse(Challenge),
        ["response"] = () => JsonNode.Parse(Response),
        ["abortReason"] = () => null,
        ["participants"] = () => new JsonArray(
            new JsonObject { ["key"] = JsonNode.Parse(AliceKey), ["institution"] = "bank-a", ["shareMinor"] = 700 },
            new JsonObject { ["key"] = JsonNode.Parse(BobKey), ["institution"] = "bank-b", ["shareMinor"] = 500 }),
    };

    /// <summary>An example of <paramref name="type"/> as the API writes it, or null for a type that is not a JSON body.</summary>
    public static JsonNode? For(Type type)
    {
        ArgumentNullException.ThrowIfNull(type);
        return Value(type, null, 0);
    }

    private static JsonNode? Value(Type type, string? name, int depth)
    {
        if (name is not null && ByName.TryGetValue(name, out var known))
        {
            return known();
        }

        type = Nullable.GetUnderlyingType(type) ?? type;
        if (type == typeof(string))
        {
            return name is not null && (name.EndsWith("At", StringComparison.Ordinal) || name == "at") ? Timestamp : "text";
        }

        if (type == typeof(long) || type == typeof(int))
        {
            return 1;
        }

        if (type == typeof(double))
        {
            return 1.5;
        }

        if (type == typeof(bool))
        {
            return true;
        }

        if (type == typeof(JsonElement))
        {
            return new JsonObject();
        }

        if (depth >= MaxDepth)
        {
            return null;
        }

        var info = Metadata.GetTypeInfo(type);
        switch (info.Kind)
        {
            case JsonTypeInfoKind.Enumerable when info.ElementType is { } element:
                return new JsonArray(Value(element, null, depth + 1));
            case JsonTypeInfoKind.Object:
                var obj = new JsonObject();
                foreach (var property in info.Properties)
                {
                    obj[property.Name] = Value(property.PropertyType, property.Name, depth + 1);
                }

                return obj;
            default:
                return null;
        }
    }

    private static JsonObject PublishedKey(string jwk) => new()
    {
        ["kid"] = "udJrl1PIJmNEsXESUEI6W-KiqqJCislAk742KXZKamo",
        ["jwk"] = JsonNode.Parse(jwk),
        ["status"] = "active",
    };

    private static JsonNode JwksKey()
    {
        var key = JsonNode.Parse(BankKey)!.AsObject();
        key["kid"] = "udJrl1PIJmNEsXESUEI6W-KiqqJCislAk742KXZKamo";
        key["use"] = "sig";
        key["alg"] = "ES256";
        return key;
    }
}
