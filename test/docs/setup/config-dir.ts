// Setup "config-dir": the working directory holds a metricore.config.json that loads plugin-http, and
// `app` is an Express application, as the prose around the snippet assumes.
import express from 'express';

process.chdir(new URL('../fixtures/http-config/', import.meta.url).pathname);
const app = express();
