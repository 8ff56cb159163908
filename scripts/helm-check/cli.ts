// node scripts/helm-check/cli.ts [tools | check]
//   tools   install what the chart check needs into .tools/ (once; needs go, python3 with pip)
//   check   (the default) tools, then helm lint, helm template and kubeconform: docs/deploy.md
import { checkChart } from './chart-check.ts';
import { HelmCheckError } from './errors.ts';
import { ensureHelmTools } from './tools.ts';

const USAGE = 'usage: node scripts/helm-check/cli.ts [tools | check]';

async function main(argv: string[]): Promise<number> {
  const [command = 'check', ...rest] = argv;
  if (rest.length > 0 || (command !== 'tools' && command !== 'check')) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const began = Date.now();
  try {
    const tools = await ensureHelmTools(log);
    if (command === 'check') checkChart(tools, log);
  } catch (error) {
    if (error instanceof HelmCheckError) {
      log(`helm-check: ${error.message}`);
      return 1;
    }
    throw error;
  }
  log(`helm-check: ${command} done in ${((Date.now() - began) / 1000).toFixed(1)} s`);
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
