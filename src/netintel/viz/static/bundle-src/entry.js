// Bundle of the JavaScript libraries the link explorer draws with (built into ../sigma-bundle.js by
// `npm install && npm run build` in this folder; the built file is committed, nothing loads at run time).
import Graph from "graphology";
import Sigma from "sigma";
import { NodeCircleProgram, createNodeCompoundProgram, EdgeArrowProgram, EdgeRectangleProgram } from "sigma/rendering";
import { createNodeImageProgram } from "@sigma/node-image";

window.NetintelSigma = { Graph, Sigma, NodeCircleProgram, createNodeCompoundProgram, EdgeArrowProgram,
                         EdgeRectangleProgram, createNodeImageProgram };
