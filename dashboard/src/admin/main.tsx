/** Entry of the admin console page (admin.html). */
import { createRoot } from 'react-dom/client';
import '../lib/styles.css';
import './admin.css';
import { AdminApp } from './admin-app';

createRoot(document.getElementById('root')!).render(<AdminApp />);
