import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import * as path from 'node:path';
import { startBenchStore } from './benchStore';
import { PROJECT_ROOT, RESULTS_FOLDER } from './constants';
import { createLoggedInProbe } from './flows';
import { redirectHandlerOutput } from './handlerOutput';

/** V8's sampling interval for the profile, in µs (its default is 1000: too coarse for 3 ms requests). */
export const SAMPLING_INTERVAL_US = 100;

export interface CpuProfileOptions {
  /** Logged-in `GET /` requests profiled, each next to one floor read. */
  requests: number;
  /** Untimed requests first, so the profile holds no first-call work (JIT, connections). */
  warmup: number;
  /** Entries in the self-time summary. */
  top: number;
  folder?: string;
  report?: (line: string) => void;
}

/** A function's self time: the samples in which it was the one running. */
export interface SelfTimeEntry {
  functionName: string;
  /** `path:line`, relative to the repository (node internals as `node:…`). */
  location: string;
  /** Where the code comes from: a package, our folder, node internals, or V8 itself. */
  area: string;
  /** Self time per request, µs. */
  selfUsPerRequest: number;
  /** Share of the profiled time. */
  percent: number;
}

export interface AreaTime {
  area: string;
  /** Self time per logged-in `GET /`, µs. */
  pageUsPerRequest: number;
  /** Self time per floor read, µs. */
  floorUsPerRequest: number;
}

export interface CpuProfileResult {
  /** The `.cpuprofile` file (open it in Chrome DevTools or VS Code). */
  file: string;
  samplingIntervalUs: number;
  requests: number;
  /** Wall time per logged-in `GET /` and per floor read in the loop, µs. */
  pageWallUs: number;
  floorWallUs: number;
  /** Top self-time functions of the logged-in `GET /` loop. */
  top: SelfTimeEntry[];
  /** Self time per request by area, page and floor side by side: where the page's extra time goes. */
  areas: AreaTime[];
}

/** The parts of a V8 CPU profile used here (`Profiler.stop`'s `profile`). */
interface V8Profile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  /** µs, on the clock of `process.hrtime` (both are the monotonic clock). */
  startTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

type Side = 'page' | 'floor';

/** When one profiled call ran, in µs on the profile's clock. */
interface Call {
  side: Side;
  start: number;
  end: number;
}

interface FrameTime {
  functionName: string;
  location: string;
  area: string;
  us: number;
}

/**
 * Profiles our logged-in `GET /` in a loop with V8's sampling profiler (node:inspector,
 * Profiler.start/stop), each request next to one floor read (alternating which goes first), against
 * a fresh bench store; writes the profile to bench-results/ and sums self time per function and
 * per area, for the page's requests and for the floor's (each sample is assigned to the call it
 * fell in, by time), so the page's time over the floor can be attributed with both under the same
 * machine noise. The handler writes its log line to bench-results/handler-output-profile.log, as in
 * the timed flows. Everything runs in this process, so the store (dynalite) and the counting proxy
 * are in the profile too: their areas say so. Off by default (`npm run bench -- --cpu-profile`).
 * @example const { top } = await runCpuProfile({ requests: 2000, warmup: 200, top: 12 });
 */
export async function runCpuProfile(options: CpuProfileOptions): Promise<CpuProfileResult> {
  const folder = options.folder ?? RESULTS_FOLDER;
  const report = options.report ?? (() => undefined);
  const { proxy, close } = await startBenchStore();
  const output = redirectHandlerOutput(path.join(folder, 'handler-output-profile.log'));
  const session = new Session();
  try {
    const probe = await createLoggedInProbe(proxy.endpoint);
    try {
      const calls: Call[] = [];
      const timed = async (side: Side) => {
        const start = Number(process.hrtime.bigint() / 1000n);
        await (side === 'page' ? probe.page() : probe.floor());
        calls.push({ side, start, end: Number(process.hrtime.bigint() / 1000n) });
      };
      const loop = async (count: number) => {
        for (let request = 0; request < count; request++) {
          const [first, second]: Side[] = request % 2 === 0 ? ['page', 'floor'] : ['floor', 'page'];
          await timed(first);
          await timed(second);
        }
      };
      await loop(options.warmup);
      calls.length = 0;
      output.passThrough(() =>
        report(`profiling ${options.requests} logged-in GET /, each next to one floor read`),
      );
      session.connect();
      await session.post('Profiler.enable');
      await session.post('Profiler.setSamplingInterval', { interval: SAMPLING_INTERVAL_US });
      await session.post('Profiler.start');
      await loop(options.requests);
      const { profile } = (await session.post('Profiler.stop')) as { profile: V8Profile };
      const file = path.join(folder, 'cpu-profile-logged-in-index.cpuprofile');
      await writeFile(file, JSON.stringify(profile));
      const frames = selfTimes(profile, calls);
      const wallUs = (side: Side) =>
        calls.filter((call) => call.side === side).reduce((sum, call) => sum + call.end - call.start, 0) /
        options.requests;
      return {
        file: path.relative(process.cwd(), file),
        samplingIntervalUs: SAMPLING_INTERVAL_US,
        requests: options.requests,
        pageWallUs: wallUs('page'),
        floorWallUs: wallUs('floor'),
        top: topSelfTime(frames.page, options.requests, options.top),
        areas: areaTimes(frames.page, frames.floor, options.requests),
      };
    } finally {
      probe.close();
    }
  } finally {
    session.disconnect();
    const written = output.restore();
    if (written.stderrLines > 0) {
      process.stderr.write(`handler stderr while profiling:\n${output.stderrTail.join('')}\n`);
    }
    await close();
  }
}

/**
 * Self time per call frame (function + location) and side: each sample lasts until the next one
 * (as DevTools counts it) and belongs to the call it fell in; samples between calls are left out.
 */
function selfTimes(profile: V8Profile, calls: readonly Call[]): Record<Side, FrameTime[]> {
  const byNode = new Map(profile.nodes.map((node) => [node.id, node]));
  const frames: Record<Side, Map<string, FrameTime>> = { page: new Map(), floor: new Map() };
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  let time = profile.startTime;
  let call = 0;
  for (let index = 0; index < samples.length - 1; index++) {
    time += deltas[index] ?? 0;
    while (call < calls.length && calls[call].end < time) call++;
    const node = byNode.get(samples[index]);
    if (call >= calls.length || calls[call].start > time || !node) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const location = url === '' ? '' : `${shortUrl(url)}:${lineNumber + 1}`;
    const key = `${functionName}\u0000${location}`;
    const side = frames[calls[call].side];
    const frame = side.get(key) ?? {
      functionName: functionName || '(anonymous)',
      location,
      area: areaOf(functionName, url),
      us: 0,
    };
    frame.us += Math.max(0, deltas[index + 1] ?? 0);
    side.set(key, frame);
  }
  return { page: [...frames.page.values()], floor: [...frames.floor.values()] };
}

function shortUrl(url: string): string {
  const file = url.startsWith('file://') ? decodeURIComponent(new URL(url).pathname) : url;
  return file.startsWith(PROJECT_ROOT) ? path.relative(PROJECT_ROOT, file) : file;
}

/**
 * Where a frame's code comes from: V8's own entries, node internals, a package under
 * node_modules (by name), or a folder of this repository.
 */
export function areaOf(functionName: string, url: string): string {
  if (url === '') {
    if (functionName === '(garbage collector)') return 'V8: garbage collector';
    if (functionName === '(idle)') return 'idle (waiting for I/O)';
    if (functionName === '(program)') return 'V8: (program)';
    return 'native (V8 builtins, node bindings: I/O, crypto…)';
  }
  if (url.startsWith('node:')) return 'node internals (http, streams, timers…)';
  const file = shortUrl(url);
  const packageMatch = /node_modules\/((?:@[^/]+\/)?[^/]+)\/(?!.*node_modules\/)/.exec(file);
  if (packageMatch) return `package ${packageMatch[1]}`;
  if (file.startsWith('lambda/')) return 'ours: lambda/';
  if (file.startsWith('test/support/')) return 'bench harness: test/support/ (counting proxy, events)';
  if (file.startsWith('lib/')) return 'ours: lib/ (local dynalite set-up, event context)';
  if (file.startsWith('scripts/')) return 'bench harness: scripts/bench/';
  return file;
}

function topSelfTime(frames: readonly FrameTime[], requests: number, top: number): SelfTimeEntry[] {
  const total = frames.reduce((sum, frame) => sum + frame.us, 0);
  return [...frames]
    .sort((a, b) => b.us - a.us)
    .slice(0, top)
    .map((frame) => ({
      functionName: frame.functionName,
      location: frame.location,
      area: frame.area,
      selfUsPerRequest: frame.us / requests,
      percent: total === 0 ? 0 : (100 * frame.us) / total,
    }));
}

function areaTimes(page: readonly FrameTime[], floor: readonly FrameTime[], requests: number): AreaTime[] {
  const areas = new Map<string, AreaTime>();
  const add = (frames: readonly FrameTime[], side: 'pageUsPerRequest' | 'floorUsPerRequest') => {
    for (const frame of frames) {
      const area = areas.get(frame.area) ?? { area: frame.area, pageUsPerRequest: 0, floorUsPerRequest: 0 };
      area[side] += frame.us / requests;
      areas.set(frame.area, area);
    }
  };
  add(page, 'pageUsPerRequest');
  add(floor, 'floorUsPerRequest');
  return [...areas.values()].sort(
    (a, b) => b.pageUsPerRequest - b.floorUsPerRequest - (a.pageUsPerRequest - a.floorUsPerRequest),
  );
}
