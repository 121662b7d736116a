import { render } from 'preact';
import 'uplot/dist/uPlot.min.css';
import './styles.css';
import { createApi } from '../lib/api.js';
import { App } from './App.js';

const root = document.getElementById('app');
if (root) render(<App api={createApi()} />, root);
