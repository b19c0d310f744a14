import { App } from './app.js';

const root = document.getElementById('app');
if (root) void new App(root).start();
