// The send page's entry: a full tab for picking and dropping files, opened from the popup where a file
// dialog would close the popup (Firefox). Mounts the page with the shared stylesheet.

import { render } from 'preact';
import '../../components/styles.css';
import { SendApp } from './send-app';

const root = document.getElementById('app');
if (root) render(<SendApp />, root);
