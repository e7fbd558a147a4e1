using System.Text.Json.Nodes;

namespace TimeCoin.Node.Rpc;

/// <summary>
/// The methods the RPC server answers, by name. The server knows nothing of the domain: the node composition
/// registers its methods here. Safe to use from several threads.
/// </summary>
public sealed class RpcMethodRegistry
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, RpcMethod> _methods = new(StringComparer.Ordinal);

    /// <summary>Adds a method.</summary>
    /// <param name="method">The method; its name must not be registered yet.</param>
    /// <exception cref="ArgumentException">A method with that name is already registered, or parameters are badly declared.</exception>
    public void Register(RpcMethod method)
    {
        ArgumentNullException.ThrowIfNull(method);
        if (method.Parameters.Select(p => p.Name).Distinct(StringComparer.Ordinal).Count() != method.Parameters.Count)
        {
            throw new ArgumentException($"method '{method.Name}' declares a parameter name twice", nameof(method));
        }

        var firstOptional = method.Parameters.ToList().FindIndex(p => !p.Required);
        if (firstOptional >= 0 && method.Parameters.Skip(firstOptional).Any(p => p.Required))
        {
            throw new ArgumentException($"method '{method.Name}' declares a required parameter after an optional one", nameof(method));
        }

        lock (_lock)
        {
            if (!_methods.TryAdd(method.Name, method))
            {
                throw new ArgumentException($"an RPC method named '{method.Name}' is already registered", nameof(method));
            }
        }
    }

    /// <summary>Adds a method from its parts.</summary>
    /// <param name="name">The method name.</param>
    /// <param name="description">One line for <c>help</c>.</param>
    /// <param name="parameters">The parameters in positional order.</param>
    /// <param name="handler">The handler.</param>
    public void Register(string name, string description, IReadOnlyList<RpcParameter> parameters, Func<RpcArguments, CancellationToken, ValueTask<JsonNode?>> handler) =>
        Register(new RpcMethod(name, description, parameters, handler));

    /// <summary>Finds a method by name.</summary>
    /// <param name="name">The method name.</param>
    /// <param name="method">The method when found.</param>
    public bool TryGet(string name, out RpcMethod method)
    {
        lock (_lock)
        {
            return _methods.TryGetValue(name, out method!);
        }
    }

    /// <summary>Every registered method, sorted by name.</summary>
    public IReadOnlyList<RpcMethod> Methods
    {
        get
        {
            lock (_lock)
            {
                return _methods.Values.OrderBy(m => m.Name, StringComparer.Ordinal).ToList();
            }
        }
    }
}
