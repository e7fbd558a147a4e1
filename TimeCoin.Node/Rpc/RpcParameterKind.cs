namespace TimeCoin.Node.Rpc;

/// <summary>The JSON type an RPC parameter must have; the server checks it before calling the handler.</summary>
public enum RpcParameterKind
{
    /// <summary>A JSON string.</summary>
    String,

    /// <summary>A JSON number without fraction that fits in 64 bits.</summary>
    Integer,

    /// <summary>A JSON <c>true</c> or <c>false</c>.</summary>
    Boolean,

    /// <summary>A JSON array of strings.</summary>
    StringArray,

    /// <summary>Any JSON value, passed to the handler as is.</summary>
    Any,
}
