import { defineHeedWidget } from './element.js';

defineHeedWidget();
