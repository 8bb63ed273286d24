// The Grafana dashboard and the Prometheus files in deploy/ use only metrics a worker exports:
// the pipeline's (src/metrics/pipeline-metrics.ts, with the Node process's), the Temporal SDK's
// (test/temporal-sdk-metrics.ts) and Prometheus's own `up`. A renamed metric would otherwise leave
// an empty panel or an alert that never fires, silently. Also: the dashboard picks its data source
// through a variable (importable by hand and by provisioning), and the scrape configuration
// names the jobs and rule file the dashboard and alerts rely on.

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { PipelineMetrics } from '../../src/metrics/pipeline-metrics';
import { TEMPORAL_SDK_FAILURE_METRICS, TEMPORAL_SDK_METRICS } from '../temporal-sdk-metrics';

const deploy = join(__dirname, '../../deploy');
const dashboardPath = join(deploy, 'grafana/microbatch-dashboard.json');
const prometheusPath = join(deploy, 'prometheus/prometheus.yml');
const alertsPath = join(deploy, 'prometheus/alerts.yml');

/** Every series name a worker's two endpoints can serve (histograms as their _bucket/_sum/_count). */
async function exportedNames(): Promise<Set<string>> {
  const metrics = new PipelineMetrics({ topic: 't', groupId: 'g', processMetrics: true });
  const names = new Set<string>(['up', ...TEMPORAL_SDK_METRICS, ...TEMPORAL_SDK_FAILURE_METRICS]);
  for (const m of await metrics.registry.getMetricsAsJSON()) {
    names.add(m.name);
    if ((['histogram', 'summary'] as string[]).includes(String(m.type))) {
      for (const suffix of ['_bucket', '_sum', '_count']) names.add(`${m.name}${suffix}`);
    }
  }
  return names;
}

/** Metric names in a PromQL expression: words with our exporters' prefixes, and `up`. */
function metricNames(expr: string): string[] {
  return [...expr.matchAll(/\b(?:microbatch|temporal|process|nodejs)_[a-z0-9_]+\b|\bup(?=\{)/g)].map((m) => m[0]);
}

interface Panel {
  type: string;
  title: string;
  id: number;
  datasource?: { uid?: string };
  targets?: Array<{ expr: string; datasource?: { uid?: string } }>;
}

const dashboard = JSON.parse(readFileSync(dashboardPath, 'utf8')) as {
  uid: string;
  panels: Panel[];
  templating: { list: Array<{ name: string; type: string; query: unknown; definition?: string }> };
};
const queries = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })));
const variableQueries = dashboard.templating.list.filter((v) => v.type === 'query').map((v) => v.definition ?? '');

const alerts = parse(readFileSync(alertsPath, 'utf8')) as {
  groups: Array<{ name: string; rules: Array<{ alert: string; expr: string; for?: string }> }>;
};
const rules = alerts.groups.flatMap((g) => g.rules);

describe('the Grafana dashboard', () => {
  it('has panels with queries, and unique panel ids', () => {
    expect(queries.length).toBeGreaterThan(20);
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('uses only metric names a worker exports, and at least one in every query', async () => {
    const exported = await exportedNames();
    for (const { panel, expr } of [...queries, ...variableQueries.map((expr) => ({ panel: 'variable', expr }))]) {
      const names = metricNames(expr);
      expect(names.length, `${panel}: ${expr}`).toBeGreaterThan(0);
      for (const name of names) expect(exported.has(name), `${panel}: ${name} is not exported`).toBe(true);
    }
  });

  it('picks its Prometheus data source through a variable, in every panel and query', () => {
    const variable = dashboard.templating.list.find((v) => v.type === 'datasource');
    expect(variable).toMatchObject({ name: 'datasource', query: 'prometheus' });
    for (const panel of dashboard.panels.filter((p) => p.type !== 'row')) {
      expect(panel.datasource?.uid, panel.title).toBe('${datasource}');
      for (const target of panel.targets ?? []) expect(target.datasource?.uid, panel.title).toBe('${datasource}');
    }
  });
});

describe('the alerting rules', () => {
  it('alert on lag growing, runs failing, runs held, dead letters and a sensor paused for long', () => {
    expect(rules.map((r) => r.alert)).toEqual(
      expect.arrayContaining([
        'MicrobatchLagGrowing',
        'MicrobatchRunsFailing',
        'MicrobatchRunsHeld',
        'MicrobatchDeadLetters',
        'MicrobatchSensorPaused',
      ]),
    );
  });

  it('use only metric names a worker exports', async () => {
    const exported = await exportedNames();
    for (const rule of rules) {
      const names = metricNames(rule.expr);
      expect(names.length, rule.alert).toBeGreaterThan(0);
      for (const name of names) expect(exported.has(name), `${rule.alert}: ${name} is not exported`).toBe(true);
      if (rule.for !== undefined) expect(rule.for, rule.alert).toMatch(/^\d+[smhd]$/);
    }
  });
});

describe('the Prometheus configuration', () => {
  const config = parse(readFileSync(prometheusPath, 'utf8')) as {
    rule_files: string[];
    scrape_configs: Array<{ job_name: string; static_configs: Array<{ targets: string[] }> }>;
  };

  it('loads the alerting rules, which exist beside it', () => {
    for (const file of config.rule_files) expect(existsSync(join(dirname(prometheusPath), file)), file).toBe(true);
    expect(config.rule_files).toContain('alerts.yml');
  });

  it('scrapes the worker and its Temporal SDK endpoint on their default ports, under the jobs the dashboard and alerts name', () => {
    const targets = Object.fromEntries(config.scrape_configs.map((c) => [c.job_name, c.static_configs[0]!.targets]));
    expect(targets['microbatch-worker']).toContain('127.0.0.1:9464');
    expect(targets['microbatch-temporal-sdk']).toContain('127.0.0.1:9465');
    const sdkJob = dashboard.templating.list.find((v) => v.name === 'sdk_job');
    expect(sdkJob?.query).toBe('microbatch-temporal-sdk');
    expect(rules.find((r) => r.alert === 'MicrobatchWorkerDown')?.expr).toContain('job="microbatch-worker"');
  });
});
