import { ObservabilityConfigError } from '../../lib';
import { resolveObservabilityOptions } from '../../lib/observability-options.resolver';

describe('messaging and bullmq options', () => {
  it('default to links for microservice events, children for jobs, no queue gauge', () => {
    const resolved = resolveObservabilityOptions({});
    expect(resolved.messaging).toEqual({ enabled: true, eventContext: 'link' });
    expect(resolved.bullmq).toEqual({ enabled: true, jobContext: 'child', queueMetrics: { enabled: false, queues: null, timeoutMs: 500 } });
  });

  it('resolve the choices and false', () => {
    const resolved = resolveObservabilityOptions({ messaging: { eventContext: 'child' }, bullmq: { jobContext: 'link', queueMetrics: { queues: ['a', 'a', 'b'], timeoutMs: 50 } } });
    expect(resolved.messaging.eventContext).toBe('child');
    expect(resolved.bullmq).toEqual({ enabled: true, jobContext: 'link', queueMetrics: { enabled: true, queues: ['a', 'b'], timeoutMs: 50 } });
    expect(resolveObservabilityOptions({ bullmq: { queueMetrics: true } }).bullmq.queueMetrics).toEqual({ enabled: true, queues: null, timeoutMs: 500 });
    expect(resolveObservabilityOptions({ messaging: false, bullmq: false })).toMatchObject({ messaging: { enabled: false }, bullmq: { enabled: false } });
  });

  it.each([
    [{ messaging: { eventContext: 'parent' } }, 'Invalid option "messaging.eventContext": expected "link" or "child"'],
    [{ messaging: { eventContexts: 'child' } }, 'Unknown option "messaging.eventContexts". Did you mean "eventContext"?'],
    [{ messaging: 'on' }, 'Invalid option "messaging": expected an object or false'],
    [{ bullmq: { jobContext: 'follows' } }, 'Invalid option "bullmq.jobContext": expected "link" or "child"'],
    [{ bullmq: { queueMetrics: { queues: [] } } }, 'Invalid option "bullmq.queueMetrics.queues": expected a non-empty array of queue names'],
    [{ bullmq: { queueMetrics: { queue: ['a'] } } }, 'Unknown option "bullmq.queueMetrics.queue". Did you mean "queues"?'],
    [{ bullmq: { queueMetrics: { timeoutMs: 0 } } }, 'Invalid option "bullmq.queueMetrics.timeoutMs"'],
    [{ bullmq: { queueMetrics: 'all' } }, 'Invalid option "bullmq.queueMetrics"'],
  ])('rejects %j at boot, naming the option', (options, message) => {
    expect(() => resolveObservabilityOptions(options as any)).toThrow(ObservabilityConfigError);
    expect(() => resolveObservabilityOptions(options as any)).toThrow(message);
  });
});
