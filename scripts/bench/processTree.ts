// What Linux's /proc says about a process and its descendants: memory, CPU time, children.
import { readdirSync, readFileSync } from 'node:fs'

// Positions in /proc/<pid>/stat counted from the field after `(comm)`, which is the state.
const PPID = 1
const UTIME = 11
const STIME = 12

interface ProcessMemory {
  /** Resident set size now, in kB. */
  rssKb: number
  /** The process's own peak resident set size so far (VmHWM), in kB. */
  peakKb: number
}

function readProc (pid: number, file: string): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'utf8')
  } catch {
    return undefined // the process has exited
  }
}

/** Fields of /proc/<pid>/stat after the command name (which may itself hold spaces and parentheses). */
function statFields (pid: number): string[] | undefined {
  const stat = readProc(pid, 'stat')
  return stat?.slice(stat.lastIndexOf(')') + 2).split(' ')
}

export function processMemory (pid: number): ProcessMemory | undefined {
  const status = readProc(pid, 'status')
  if (!status) return undefined
  const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0)
  const rssKb = kb('VmRSS')
  return { rssKb, peakKb: Math.max(kb('VmHWM'), rssKb) }
}

/** User plus system CPU time of a process, in clock ticks. */
export function cpuTicks (pid: number): number {
  const fields = statFields(pid)
  return fields ? Number(fields[UTIME]) + Number(fields[STIME]) : 0
}

/** Clock ticks per second of /proc's CPU times (USER_HZ: 100 on every Linux architecture in use). */
export const TICKS_PER_SECOND = 100

/** User plus system CPU time of `rootPid` and every process descending from it, in clock ticks. */
export function treeCpuTicks (rootPid: number): number {
  return processTree(rootPid).reduce((sum, pid) => sum + cpuTicks(pid), 0)
}

/** `pid` and every process descending from it (a scan of /proc: not every kernel has task/<tid>/children). */
export function processTree (pid: number): number[] {
  const childrenOf = new Map<number, number[]>()
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    const parent = Number(statFields(Number(entry))?.[PPID])
    if (!parent) continue
    childrenOf.set(parent, [...(childrenOf.get(parent) ?? []), Number(entry)])
  }
  const tree = [pid]
  for (let i = 0; i < tree.length; i++) tree.push(...(childrenOf.get(tree[i]!) ?? []))
  return tree
}

export interface TreeMemoryPeak {
  /** The largest peak RSS of any one process of the tree, in kB. */
  perProcessKb: number
  /** The largest sum of the tree's RSS at one sample, in kB. */
  totalKb: number
  /** The most processes the tree had at one sample. */
  processes: number
}

/** Samples the memory of a process tree every `intervalMs` until stopped; `stop()` returns the peaks. */
export function sampleTreeMemory (rootPid: number, intervalMs = 100): { stop: () => TreeMemoryPeak } {
  const peak: TreeMemoryPeak = { perProcessKb: 0, totalKb: 0, processes: 0 }
  const sample = () => {
    let totalKb = 0
    let processes = 0
    for (const pid of processTree(rootPid)) {
      const memory = processMemory(pid)
      if (!memory) continue
      processes++
      totalKb += memory.rssKb
      peak.perProcessKb = Math.max(peak.perProcessKb, memory.peakKb)
    }
    // When one process peaked, between samples, the tree held at least that much.
    peak.totalKb = Math.max(peak.totalKb, totalKb, peak.perProcessKb)
    peak.processes = Math.max(peak.processes, processes)
  }
  sample()
  const timer = setInterval(sample, intervalMs)
  return {
    stop: () => {
      sample()
      clearInterval(timer)
      return { ...peak }
    }
  }
}
