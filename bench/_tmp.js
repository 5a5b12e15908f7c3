const { context, trace, ROOT_CONTEXT } = require('@opentelemetry/api');
const { startObservabilitySdk } = require('../dist');
const sdk = startObservabilitySdk({ sampleRatio: 0, exporter: 'none' });
const { UnsampledSpan } = require('../dist/tracing/sampling/unsampled.span');
const N=1e6;
function bench(name, f) { for (let r=0;r<3;r++){ const t=process.hrtime.bigint(); let acc=0; for (let i=0;i<N;i++) acc+=f(i); const ns=Number(process.hrtime.bigint()-t)/N; if(r==2) console.log(name, ns.toFixed(1)); } }
const fn=()=>1;
bench('new span', ()=> new UnsampledSpan(5) ? 1 : 0);
bench('setSpan', ()=> trace.setSpan(ROOT_CONTEXT, new UnsampledSpan(5)) ? 1:0);
const c = trace.setSpan(ROOT_CONTEXT, new UnsampledSpan(5));
bench('with', ()=> context.with(c, fn));
bench('active', ()=> context.active() ? 1 : 0);
