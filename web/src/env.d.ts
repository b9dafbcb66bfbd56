// Vite bundles CSS imported from TypeScript (main.ts imports styles.css).
declare module "*.css";
