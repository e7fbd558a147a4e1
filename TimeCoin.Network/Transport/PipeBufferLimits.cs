using System.IO.Pipelines;

namespace TimeCoin.Network.Transport;

/// <summary>
/// Back-pressure thresholds for connection pipes: a writer's flush waits once this many bytes are unread, so no
/// connection buffers without bound.
/// </summary>
internal static class PipeBufferLimits
{
    /// <summary>Unread bytes at which a writer's flush waits (1 MiB).</summary>
    public const long PauseWriterThreshold = 1024 * 1024;

    /// <summary>Unread bytes at which a waiting writer resumes (512 KiB).</summary>
    public const long ResumeWriterThreshold = 512 * 1024;

    /// <summary>
    /// Pipe options with the thresholds above and no synchronization context. Continuations run on the thread pool,
    /// never inline, so two in-process nodes replying to each other cannot recurse on one stack.
    /// </summary>
    public static PipeOptions CreatePipeOptions() => new(
        pauseWriterThreshold: PauseWriterThreshold,
        resumeWriterThreshold: ResumeWriterThreshold,
        useSynchronizationContext: false);
}
