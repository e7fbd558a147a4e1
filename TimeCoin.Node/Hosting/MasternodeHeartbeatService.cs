using Microsoft.Extensions.Logging;
using TimeCoin.Core.Crypto;
using TimeCoin.Core.Masternodes;
using TimeCoin.Network.Protocol;

namespace TimeCoin.Node.Hosting;

/// <summary>
/// What a masternode says about itself: a signed announcement (address and tier) at start and then every
/// <see cref="AnnouncementEvery"/> heartbeats, and a signed heartbeat every interval. Both are signed with the
/// node's persistent key, accepted into our own registry and broadcast to every peer (who relay them once).
/// </summary>
/// <remarks>
/// The heartbeat sequence is the Unix time in milliseconds, so it keeps increasing across restarts without any
/// stored counter (a registry rejects a sequence that does not increase as a replay).
/// </remarks>
public sealed class MasternodeHeartbeatService
{
    /// <summary>An announcement is re-sent with every this many heartbeats, so peers that joined later learn us.</summary>
    public const int AnnouncementEvery = 5;

    private readonly KeyPair _key;
    private readonly string _network;
    private readonly Func<string> _address;
    private readonly MasternodeTier _tier;
    private readonly Func<long> _height;
    private readonly HeartbeatRegistry _registry;
    private readonly Func<NetworkMessage, ValueTask> _broadcast;
    private readonly TimeProvider _time;
    private readonly TimeSpan _interval;
    private readonly ILogger _logger;
    private ulong _lastSequence;
    private int _beats;

    /// <summary>Creates the service; nothing is sent until <see cref="RunAsync"/> or <see cref="BeatAsync"/>.</summary>
    public MasternodeHeartbeatService(KeyPair key, string network, Func<string> address, MasternodeTier tier, Func<long> height,
        HeartbeatRegistry registry, Func<NetworkMessage, ValueTask> broadcast, TimeProvider time, TimeSpan interval, ILogger logger)
    {
        _key = key;
        _network = network;
        _address = address;
        _tier = tier;
        _height = height;
        _registry = registry;
        _broadcast = broadcast;
        _time = time;
        _interval = interval;
        _logger = logger;
    }

    /// <summary>Announces, then beats every interval until cancelled.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                await BeatAsync();
                await Task.Delay(_interval, _time, cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Sends one heartbeat (preceded by an announcement on the first and every fifth beat).</summary>
    public async ValueTask BeatAsync()
    {
        var now = _time.GetUtcNow();
        if (_beats++ % AnnouncementEvery == 0)
        {
            var announcement = MasternodeAnnouncement.Create(_key, _network, _address(), _tier, now);
            var accepted = _registry.Accept(announcement);
            if (!accepted.Accepted)
                _logger.LogWarning("Own masternode announcement not accepted by the local registry: {Reason}", accepted.Message);
            await _broadcast(new MasternodeAnnouncementMessage(announcement.Encode()));
        }
        ulong sequence = Math.Max((ulong)now.ToUnixTimeMilliseconds(), _lastSequence + 1);
        _lastSequence = sequence;
        var heartbeat = Heartbeat.Create(_key, _network, _address(), sequence, now, (ulong)Math.Max(0, _height()));
        var result = _registry.Accept(heartbeat);
        if (!result.Accepted)
            _logger.LogWarning("Own heartbeat not accepted by the local registry: {Reason}", result.Message);
        await _broadcast(new HeartbeatMessage(heartbeat.Encode()));
    }
}
