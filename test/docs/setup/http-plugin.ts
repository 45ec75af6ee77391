// Setup "http-plugin": the plugin `http` applied to `host`, as in the page's first example.
import { MetricsHost } from '@metricore/framework';
import httpMetrics from '@metricore/plugin-http';

const http = httpMetrics();
const host = new MetricsHost({ plugins: [http] });
