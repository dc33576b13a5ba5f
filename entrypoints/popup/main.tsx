// The toolbar popup's entry: mounts the popup app with the shared stylesheet.

import { render } from 'preact';
import '../../components/styles.css';
import { PopupApp } from './popup-app';

const root = document.getElementById('app');
if (root) render(<PopupApp />, root);
