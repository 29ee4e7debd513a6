import fs from 'node:fs';
import vm from 'node:vm';
import { workflowEntry } from '../../extensions/bundle';
import { builtinWorkflowTypes } from '../../extensions/registry';

/** Evaluates a generated entry with a `require` that records what it loads. */
function load(file: string) {
  const loaded: string[] = [];
  const exports: Record<string, unknown> = {};
  const require = (mod: string) => {
    loaded.push(mod);
    return new Proxy({}, { get: (_, name) => `${mod}#${String(name)}` });
  };
  vm.runInNewContext(fs.readFileSync(file, 'utf8'), { exports, require });
  return { exports, loaded };
}

describe('the workflow bundle entry', () => {
  it('then loads no module until a workflow type is asked for, and then only the module defining it', () => {
    const { exports, loaded } = load(workflowEntry(builtinWorkflowTypes()));
    expect(loaded).toEqual([]);
    expect(exports.hostWorkflow).toMatch(/entities\/host\/workflow#hostWorkflow$/);
    expect(loaded).toHaveLength(1);
    expect(exports.ipamWorkflow).toMatch(/extensions\/networks\/workflow#ipamWorkflow$/);
    expect(loaded).toHaveLength(2);
  });

  it('then offers every core workflow type and every type an extension ships', () => {
    const { exports } = load(workflowEntry(builtinWorkflowTypes()));
    for (const type of [
      'hostWorkflow',
      'computeServiceWorkflow',
      'quotaWorkflow',
      'quotaClassWorkflow',
      'reservationWorkflow',
      'serverWorkflow',
      'flavorCatalogWorkflow',
      'serverGroupWorkflow',
      'imageCatalogWorkflow',
      'keypairsWorkflow',
      'aggregatesWorkflow',
      'networkCatalogWorkflow',
    ])
      expect(Object.keys(exports)).toContain(type);
  });

  it('then loads a module it cannot read the exports of whole (export *)', () => {
    const dir = fs.mkdtempSync('/tmp/novaflow-entry-');
    fs.writeFileSync(`${dir}/wf.ts`, "export * from './other';\n");
    const { loaded } = load(workflowEntry([`${dir}/wf.ts`]));
    expect(loaded).toEqual([`${dir}/wf`]);
  });

  it('then finds a module compiled to JavaScript (dist/) and, not reading its exports, loads it whole', () => {
    const dir = fs.mkdtempSync('/tmp/novaflow-entry-');
    fs.writeFileSync(`${dir}/wf.js`, 'exports.fooWorkflow = async function () {};\n');
    const { loaded } = load(workflowEntry([`${dir}/wf.ts`]));
    expect(loaded).toEqual([`${dir}/wf`]);
  });

  it('then refuses a workflow module that is not there', () => {
    expect(() => workflowEntry(['/nonexistent/wf'])).toThrow(/not found/);
  });

  it("then a name two modules export is the first one's, and loading either never fails", () => {
    const dir = fs.mkdtempSync('/tmp/novaflow-entry-');
    fs.writeFileSync(`${dir}/a.ts`, 'export function helper() {}\nexport async function aWorkflow() {}\n');
    fs.writeFileSync(`${dir}/b.ts`, 'export function helper() {}\nexport async function bWorkflow() {}\n');
    const { exports, loaded } = load(workflowEntry([`${dir}/a.ts`, `${dir}/b.ts`]));
    expect(exports.helper).toBe(`${dir}/a#helper`);
    expect(exports.aWorkflow).toBe(`${dir}/a#aWorkflow`);
    expect(exports.bWorkflow).toBe(`${dir}/b#bWorkflow`);
    expect(loaded).toEqual([`${dir}/a`, `${dir}/a`, `${dir}/b`]);
  });
});
