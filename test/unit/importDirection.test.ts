import fs from 'node:fs';
import path from 'node:path';

/**
 * The architecture's one-way imports (README → Architecture): the workflow sandbox's code reaches
 * no Node-only module, and the rest of src/ never imports the workflow bundle's entry point.
 */
const root = path.resolve(__dirname, '..', '..');

/** Value imports of a module (`import type` and `export type` are erased, so they don't count). */
function valueImports(file: string): string[] {
  const src = fs.readFileSync(file, 'utf8');
  const out: string[] = [];
  const re = /^\s*(import|export)\s+(type\s+)?([^'";]*?)\s*from\s*['"]([^'"]+)['"]|^\s*import\s+['"]([^'"]+)['"]/gm;
  for (let m = re.exec(src); m; m = re.exec(src)) {
    if (m[5]) {
      out.push(m[5]);
      continue;
    }
    if (m[2]) continue;
    const names = m[3].replace(/^\{|\}$/g, '').split(',').map((s) => s.trim()).filter(Boolean);
    // `import { type A, type B } from` is erased too.
    if (m[3].startsWith('{') && names.every((n) => n.startsWith('type '))) continue;
    out.push(m[4]);
  }
  return out;
}

function resolveLocal(from: string, spec: string): string {
  const base = path.resolve(path.dirname(from), spec);
  for (const candidate of [`${base}.ts`, path.join(base, 'index.ts')]) if (fs.existsSync(candidate)) return candidate;
  throw new Error(`${path.relative(root, from)}: cannot resolve ${spec}`);
}

/** Packages workflow code may use: they run in Temporal's sandbox. */
const WORKFLOW_SAFE_PACKAGES = ['@temporalio/workflow', '@temporalio/common'];

describe('import direction', () => {
  it('workflow code (everything workflows/index.ts reaches) imports no Node-only module', () => {
    const seen = new Set<string>();
    const offences: string[] = [];
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      for (const spec of valueImports(file)) {
        if (spec.startsWith('.')) visit(resolveLocal(file, spec));
        else if (!WORKFLOW_SAFE_PACKAGES.includes(spec)) offences.push(`${path.relative(root, file)} imports ${spec}`);
      }
    };
    visit(path.join(root, 'workflows', 'index.ts'));
    expect(offences).toEqual([]);
    // Every job kind's workflow is reached through the entry point.
    const kinds = fs.readdirSync(path.join(root, 'src', 'jobs')).filter((k) => fs.existsSync(path.join(root, 'src', 'jobs', k, 'workflow.ts')));
    expect(kinds.filter((k) => !seen.has(path.join(root, 'src', 'jobs', k, 'workflow.ts')))).toEqual([]);
  });

  it('nothing in src/ imports the workflows/ or activities/ entry points but the worker', () => {
    const offences: string[] = [];
    const walk = (dir: string) => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (p.endsWith('.ts') && p !== path.join(root, 'src', 'temporal', 'worker.ts')) {
          const src = fs.readFileSync(p, 'utf8');
          for (const m of src.matchAll(/from\s+['"]([^'"]+)['"]/g)) {
            if (!m[1].startsWith('.')) continue;
            const target = path.relative(root, path.resolve(path.dirname(p), m[1]));
            if (/^(workflows|activities)(\/|$)/.test(target)) offences.push(`${path.relative(root, p)} imports ${m[1]}`);
          }
        }
      }
    };
    walk(path.join(root, 'src'));
    expect(offences).toEqual([]);
  });

  it('resolvers and routers start jobs only through a job kind\'s client.ts', () => {
    const offences: string[] = [];
    const walk = (dir: string) => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (p.endsWith('.ts')) {
          const src = fs.readFileSync(p, 'utf8');
          if (/workflow\.(start|execute|signalWithStart)\(|startJob\(/.test(src)) offences.push(path.relative(root, p));
        }
      }
    };
    walk(path.join(root, 'src', 'api'));
    walk(path.join(root, 'src', 'services'));
    expect(offences).toEqual([]);
  });
});
