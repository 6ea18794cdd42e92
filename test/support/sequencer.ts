import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The projects in this order, each project's files one after the other (so a worker that shares its
 * module cache and runtime keeps them from one file to the next), the longest first within each, as
 * the default order does. The files that take a process of their own come last: short ones end the
 * run, where a long one would leave the other core idle.
 */
const PROJECT_ORDER = ['browser', 'infra', 'integration', 'integration-own', 'unit', 'isolated'];

export class ProjectSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (spec: TestSpecification) => {
      const index = PROJECT_ORDER.indexOf(spec.project.name);
      return index === -1 ? PROJECT_ORDER.length : index;
    };
    // Array sorts are stable: within a project, the default order stays.
    return sorted.sort((a, b) => rank(a) - rank(b));
  }
}
