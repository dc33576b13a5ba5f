// The options page's entry: mounts the settings app with the shared stylesheet.

import { render } from 'preact';
import '../../components/styles.css';
import { OptionsApp } from './options-app';

const root = document.getElementById('app');
if (root) render(<OptionsApp />, root);
