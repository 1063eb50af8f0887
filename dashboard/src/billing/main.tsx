import { createRoot } from 'react-dom/client';
import '../lib/styles.css';

createRoot(document.getElementById('root')!).render(<main className="tg-page">Billing</main>);
