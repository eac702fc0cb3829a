/**
 * A whole definition: `main` plus subworkflows, or the simple form where the document is main's
 * list of steps. Everything is compiled and checked here, before any execution starts.
 */
import { analyzeRoutine } from './analysis.js';
import { ProgramCompiler } from './compiler.js';
import type { ParamInfo } from './compiler.js';
import { WorkflowError } from './errors.js';
import type { Program, Routine } from './program.js';
import { readSource } from './source.js';
import type { SourceEntry, SourceNode } from './source.js';

const ROUTINE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

interface RoutineSource {
  readonly name: string;
  readonly params?: SourceNode;
  readonly steps: SourceNode;
  readonly line: number;
}

function routineSources(root: SourceNode): RoutineSource[] {
  if (root.kind === 'list') return [{ name: 'main', steps: root, line: root.line }];
  if (root.kind !== 'map') throw new WorkflowError('a workflow definition is a map of main and subworkflows, or a list of steps', { path: 'definition', line: root.line });
  if (!root.entries.some((entry) => entry.key === 'main')) throw new WorkflowError('the definition has no main workflow', { path: 'definition', line: root.line });
  return root.entries.map(routineSource);
}

function routineSource(entry: SourceEntry): RoutineSource {
  const location = { path: entry.key, line: entry.line };
  if (!ROUTINE_NAME.test(entry.key)) throw new WorkflowError(`${JSON.stringify(entry.key)} is not a valid workflow name`, location);
  if (entry.value.kind !== 'map') throw new WorkflowError('a workflow must be a map with params and steps', location);
  let params: SourceNode | undefined;
  let steps: SourceNode | undefined;
  for (const field of entry.value.entries) {
    if (field.key === 'params') params = field.value;
    else if (field.key === 'steps') steps = field.value;
    else throw new WorkflowError(`unknown workflow field ${JSON.stringify(field.key)} (expected params and steps)`, { path: entry.key, line: field.line });
  }
  if (steps === undefined) throw new WorkflowError('a workflow needs steps', location);
  return { name: entry.key, steps, line: entry.line, ...(params === undefined ? {} : { params }) };
}

/** Parameter names and whether they have defaults, read ahead so that calls can be checked. */
function paramInfo(source: RoutineSource): ParamInfo[] {
  if (source.params?.kind !== 'list') return [];
  return source.params.items.map((item) => {
    if (item.kind === 'scalar') return { name: String(item.value), required: true };
    if (item.kind === 'map' && item.entries.length === 1) return { name: item.entries[0]?.key ?? '', required: false };
    return { name: '', required: true };
  });
}

export function compileProgram(text: string): Program {
  const sources = routineSources(readSource(text));
  const compiler = new ProgramCompiler(new Map(sources.map((source) => [source.name, paramInfo(source)])));
  const routines = new Map<string, Routine>();
  for (const source of sources) {
    const routine = compiler.compileRoutine(source.name, source.params, source.steps, source.line);
    analyzeRoutine(routine);
    routines.set(source.name, routine);
  }
  return { routines, usesCallbacks: compiler.usesCallbacks };
}
