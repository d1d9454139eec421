// Loads .github/opsgate.yml. (Contract stub: the foundation work replaces the body.)
import type { LoadResult, SourceFile } from '../runbook/load-result.js';
import type { RepoConfig } from '../runbook/model.js';

export function loadRepoConfig(_source: SourceFile): LoadResult<RepoConfig> {
  return { diagnostics: [], sourceMap: new Map() };
}
